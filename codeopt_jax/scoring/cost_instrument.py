"""Instrumenting a program for the cost model: an `ast` transform that routes C-level work through hooks.

Only the cost pass runs the instrumented program (tests, the differential check and timing run
the program as written). Each rewrite keeps the evaluation order, the exceptions and the
results of the expression it replaces; the hooks (`cost_model.CostMeter`) look at operand
types and sizes, charge the operation's cost, and return what the original expression gives:

  x in y            -> _cost_in(x, y)             (the hook evaluates `x in y`; single comparisons only,
  x not in y        -> not _cost_in(x, y)          a chained comparison stays as written)
  f(...)  o.m(...)  -> _cost_callee(f)(...)       (any bare name, and attributes in `CALLEE_NAMES`; the hook
                                                   returns the callee itself unless it is a C function it
                                                   costs, so other calls run in the program's frame)
  xs[a:b]           -> _cost_sliced(xs[a:b])       (the hook sees the result)
  a + b, a * b, a - b, a | b, a & b, a ^ b
                    -> _cost_add(a, b) ...         (not when an operand is a number literal, except `*`)
  s += t            -> s += _cost_augmented(s, t, "+=")    (a name target: the hook sees both sides
  s = s + t         -> s = s + _cost_augmented(s, t, "+")   and returns t, so CPython's in-place str
                                                             concatenation still happens)
  o.a += t, o[k] += t -> ... += _cost_augmented_value(t, "+=")   (also -=, |=, &=, ^=)
  del xs[i]         -> del xs[_cost_deleted(xs, i)]  (a name's item)

Annotations and `match` patterns are left alone. The hook names start with one underscore (a
double one would be mangled inside class bodies).
"""

from __future__ import annotations

import ast

HOOK_PREFIX = "_cost_"
CONTAINS = "_cost_in"
CALLEE = "_cost_callee"
SLICED = "_cost_sliced"
AUGMENTED = "_cost_augmented"
AUGMENTED_VALUE = "_cost_augmented_value"
DELETED = "_cost_deleted"
BINARY = {ast.Add: "_cost_add", ast.Mult: "_cost_mul", ast.Sub: "_cost_sub", ast.BitOr: "_cost_or",
          ast.BitAnd: "_cost_and", ast.BitXor: "_cost_xor"}
AUGMENTED_SYMBOLS = {ast.Add: "+=", ast.Sub: "-=", ast.BitOr: "|=", ast.BitAnd: "&=", ast.BitXor: "^="}
HOOK_NAMES = (CONTAINS, CALLEE, SLICED, AUGMENTED, AUGMENTED_VALUE, DELETED, *BINARY.values())

# Methods (the last attribute of a callee) that may be C functions whose work grows with their
# operands; any other method call is left as written.
CALLEE_NAMES = frozenset({
    "sorted", "sort", "most_common", "min", "max", "sum", "any", "all", "prod", "reduce", "fsum",
    "list", "tuple", "set", "frozenset", "dict", "deque", "Counter", "fromkeys", "copy",
    "extend", "update", "index", "count", "remove", "pop", "insert",
    "find", "rfind", "rindex", "replace", "strip", "lstrip", "rstrip", "lower", "upper", "casefold",
    "title", "capitalize", "swapcase", "translate", "split", "rsplit", "splitlines", "join",
    "heappush", "heappop", "heapreplace", "heappushpop", "heapify",
    "bisect", "bisect_left", "bisect_right", "insort", "insort_left", "insort_right",
    "get", "setdefault", "add", "discard", "startswith", "endswith", "isdigit", "isalpha", "isalnum",
    "isspace", "islower", "isupper", "isdecimal", "isnumeric",
    "union", "intersection", "difference", "symmetric_difference", "issubset", "issuperset", "isdisjoint",
    "intersection_update", "difference_update", "symmetric_difference_update",
})


def _is_number_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, complex)


def _hook(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    return ast.copy_location(ast.Call(func=ast.copy_location(ast.Name(id=name, ctx=ast.Load()), like),
                                      args=args, keywords=[]), like)


class CostInstrumenter(ast.NodeTransformer):
    """The transform described in the module docstring (children first, so nested work is hooked too)."""

    # Annotations (strings under `from __future__ import annotations`) and patterns are not expressions
    # the program evaluates as written: leave them untouched.
    def visit_arg(self, node: ast.arg) -> ast.arg:
        return node

    def visit_FunctionDef(self, node):
        for field in ("decorator_list", "body"):
            setattr(node, field, [self.visit(child) for child in getattr(node, field)])
        node.args = self._visit_arguments(node.args)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> ast.Lambda:
        node.args = self._visit_arguments(node.args)
        node.body = self.visit(node.body)
        return node

    def _visit_arguments(self, arguments: ast.arguments) -> ast.arguments:
        arguments.defaults = [self.visit(d) for d in arguments.defaults]
        arguments.kw_defaults = [d if d is None else self.visit(d) for d in arguments.kw_defaults]
        return arguments

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AnnAssign:
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_match_case(self, node: ast.match_case) -> ast.match_case:
        if node.guard is not None:
            node.guard = self.visit(node.guard)
        node.body = [self.visit(child) for child in node.body]
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        self.generic_visit(node)
        if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.In, ast.NotIn)):
            return node
        call = _hook(CONTAINS, [node.left, node.comparators[0]], node)
        if isinstance(node.ops[0], ast.NotIn):
            return ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=call), node)
        return call

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) or (isinstance(func, ast.Attribute) and func.attr in CALLEE_NAMES):
            node.func = _hook(CALLEE, [func], func)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and isinstance(node.slice, ast.Slice):
            return _hook(SLICED, [node], node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        hook = BINARY.get(type(node.op))
        if hook is None:
            return node
        if not isinstance(node.op, ast.Mult) and (_is_number_literal(node.left) or _is_number_literal(node.right)):
            return node
        if isinstance(node.op, ast.Mult) and _is_number_literal(node.left) and _is_number_literal(node.right):
            return node
        return _hook(hook, [node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AugAssign:
        node.value = self.visit(node.value)
        if isinstance(node.target, (ast.Attribute, ast.Subscript)):
            node.target.value = self.visit(node.target.value)  # the object and key are evaluated as written
            if isinstance(node.target, ast.Subscript):
                node.target.slice = self.visit(node.target.slice)
        symbol = AUGMENTED_SYMBOLS.get(type(node.op))
        if symbol is None or _is_number_literal(node.value):
            return node
        symbol_node = ast.copy_location(ast.Constant(symbol), node.value)
        if isinstance(node.target, ast.Name):
            current = ast.copy_location(ast.Name(id=node.target.id, ctx=ast.Load()), node.target)
            node.value = _hook(AUGMENTED, [current, node.value, symbol_node], node.value)
        else:
            node.value = _hook(AUGMENTED_VALUE, [node.value, symbol_node], node.value)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.Assign:
        value = node.value
        if (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and isinstance(value, ast.BinOp)
                and isinstance(value.op, ast.Add) and isinstance(value.left, ast.Name)
                and value.left.id == node.targets[0].id and not _is_number_literal(value.right)):
            # s = s + t: keep the BINARY_OP + STORE pair CPython concatenates in place
            value.right = self.visit(value.right)
            current = ast.copy_location(ast.Name(id=value.left.id, ctx=ast.Load()), value.left)
            value.right = _hook(AUGMENTED, [current, value.right, ast.copy_location(ast.Constant("+"), value.right)],
                                value.right)
            return node
        self.generic_visit(node)
        return node

    def visit_Delete(self, node: ast.Delete) -> ast.Delete:
        targets = []
        for target in node.targets:
            if (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                    and not isinstance(target.slice, ast.Slice)):
                index = self.visit(target.slice)
                current = ast.copy_location(ast.Name(id=target.value.id, ctx=ast.Load()), target.value)
                target.slice = _hook(DELETED, [current, index], index)
                targets.append(target)
            else:
                targets.append(self.visit(target))
        node.targets = targets
        return node


class ReservedNameError(ValueError):
    """The program uses a name the hooks need (it would replace a hook in the program's globals)."""


def _reserved_names(tree: ast.AST) -> list[str]:
    found = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.arg):
            names = [node.arg]
        elif isinstance(node, ast.alias):
            names = [node.asname or node.name.split(".")[0]]
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names = node.names
        found.update(name for name in names if name.startswith(HOOK_PREFIX))
    return sorted(found)


def instrument(source: str, filename: str = "<program>"):
    """The program's code object with the cost hooks in (see the module docstring).

    Raises SyntaxError (and what `compile` raises) for a program that does not compile, and
    ReservedNameError for one that binds or reads a name starting with `HOOK_PREFIX`."""
    tree = ast.parse(source, filename)
    reserved = _reserved_names(tree)
    if reserved:
        raise ReservedNameError(f"the program uses {', '.join(reserved)}: names starting with {HOOK_PREFIX} are "
                                f"reserved for the cost model's hooks")
    tree = CostInstrumenter().visit(tree)
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec", dont_inherit=True)
