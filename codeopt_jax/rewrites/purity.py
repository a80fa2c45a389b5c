"""Effects: how each use of a value may change it, and which expressions and functions are pure.

Conservative: when in doubt an answer says "not read-only", "not pure", so a rule that
depends on it does not fire. `use_of` and the purity of user functions depend on each
other (a value handed to a pure function is only read), hence one module.
"""

from __future__ import annotations

import libcst as cst

from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.names import function_occurrences, has_node, in_store_target, names_in, occurrences
from codeopt_jax.scopes import LOAD, Occurrence, param_names, target_names
from codeopt_jax.syntax import COMPREHENSION_TYPES

# Methods of builtin types that neither mutate the receiver nor have other effects.
READ_ONLY_METHODS = frozenset({
    "count", "index", "get", "keys", "values", "items", "copy", "lower", "upper", "strip", "lstrip",
    "rstrip", "split", "rsplit", "splitlines", "join", "replace", "startswith", "endswith", "find",
    "rfind", "rindex", "format", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
    "isnumeric", "isdecimal", "istitle", "isidentifier", "partition", "rpartition", "encode", "decode",
    "casefold", "title", "capitalize", "swapcase", "zfill", "center", "ljust", "rjust", "removeprefix",
    "removesuffix", "expandtabs", "union", "intersection", "difference", "symmetric_difference",
    "issubset", "issuperset", "isdisjoint", "most_common", "bit_length", "conjugate", "hex",
    "is_integer", "translate", "maketrans",
})
# Read-only methods whose result is (or views) part of the receiver, not a new value.
ELEMENT_METHODS = frozenset({"get", "keys", "values", "items"})
# Methods that only read their arguments.
READ_ONLY_ARG_METHODS = frozenset({
    "join", "extend", "update", "union", "intersection", "difference", "symmetric_difference",
    "issubset", "issuperset", "isdisjoint", "count", "index", "startswith", "endswith", "find",
    "rfind", "get", "format", "replace", "split", "strip", "lstrip", "rstrip", "partition",
    "removeprefix", "removesuffix",
})
# Builtins that only read (iterate, measure, copy, hash) their arguments.
READ_ONLY_CONSUMERS = frozenset({
    "len", "sum", "min", "max", "sorted", "set", "frozenset", "tuple", "list", "any", "all", "enumerate",
    "zip", "str", "repr", "isinstance", "reversed", "dict", "bool", "abs", "round", "int", "float", "hash",
    "range", "ord", "chr", "divmod", "pow", "format",
})
# Builtins without side effects (their arguments' own methods aside).
PURE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "chr", "divmod", "enumerate", "float", "frozenset", "hash", "int",
    "isinstance", "len", "list", "max", "min", "ord", "pow", "range", "repr", "reversed", "round", "set",
    "sorted", "str", "sum", "tuple", "zip", "dict", "bin", "hex", "oct", "callable", "map", "filter",
})
HIGHER_ORDER_BUILTINS = frozenset({"sorted", "min", "max", "map", "filter"})
PURE_MODULES = frozenset({"math", "operator", "cmath"})
# Modules whose functions all only read their arguments (operator.setitem / iadd do not).
READ_ONLY_MODULES = frozenset({"math", "cmath"})
# Calls whose result is a new mutable object or a one-shot iterator.
FRESH_RESULT_BUILTINS = frozenset({"list", "set", "dict", "sorted", "bytearray", "map", "filter", "zip",
                                   "enumerate", "reversed", "iter", "vars"})
FRESH_RESULT_METHODS = frozenset({"split", "rsplit", "splitlines", "copy"})


# --- how a value is used ---------------------------------------------------------------

READ, RETURN, ALIAS, MUTATE, ESCAPE = "read", "return", "alias", "mutate", "escape"



def use_of(node: cst.BaseExpression, ctx: ProgramContext) -> tuple[str, cst.CSTNode]:
    """How the value of an expression node is used, judged from its surroundings.

    Follows access paths (`x[i]`, `x.attr`, `x.get(k)`) up first, since touching
    part of a value can mutate the whole. Returns (verdict, context node) where the
    verdict is READ, RETURN (returned), ALIAS (bound to a name: the context is the
    Assign), MUTATE, or ESCAPE (stored, passed to unknown code, deferred).
    """
    current: cst.CSTNode = node
    while True:
        parent = ctx.parent(current)
        if isinstance(parent, cst.Subscript) and parent.value is current:
            if any(isinstance(element.slice, cst.Slice) for element in parent.slice) and \
                    not in_store_target(parent, ctx):
                return READ, parent  # a slice is a new object
            current = parent
            continue
        if isinstance(parent, cst.Attribute) and parent.value is current:
            grand = ctx.parent(parent)
            if isinstance(grand, cst.Call) and grand.func is parent:
                method = parent.attr.value
                if isinstance(current, cst.Name) and ctx.imported_module(current.value) in READ_ONLY_MODULES:
                    return READ, grand  # math.sqrt(x) leaves the math module alone
                if method not in READ_ONLY_METHODS:
                    return MUTATE, grand
                if method in ELEMENT_METHODS:
                    current = grand
                    continue
                return READ, grand
            current = parent
            continue
        break
    deep = current is not node
    while True:
        parent = ctx.parent(current)
        if parent is None:
            return ESCAPE, current
        if in_store_target(current, ctx):
            return (MUTATE if deep else ALIAS), parent
        if isinstance(parent, cst.Arg):
            call = ctx.parent(parent)
            if parent.keyword is not None and parent.keyword.value == "key":
                return ESCAPE, call
            func = call.func
            if isinstance(func, cst.Name) and func.value in READ_ONLY_CONSUMERS and ctx.builtin_usable(func.value):
                return READ, call
            if isinstance(func, cst.Attribute) and func.attr.value in READ_ONLY_ARG_METHODS:
                return READ, call
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                    ctx.imported_module(func.value.value) in READ_ONLY_MODULES:
                return READ, call
            if isinstance(func, cst.Name) and is_pure_function_name(func.value, ctx):
                return READ, call
            return ESCAPE, call
        if isinstance(parent, (cst.ComparisonTarget, cst.Comparison, cst.BinaryOperation, cst.UnaryOperation,
                               cst.If, cst.While, cst.Assert, cst.FormattedStringExpression, cst.Index,
                               cst.Slice, cst.CompIf, cst.Expr)):
            return READ, parent
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is current:
            return READ, parent
        if isinstance(parent, cst.IfExp):
            if parent.test is current:
                return READ, parent
            current = parent
            continue
        if isinstance(parent, cst.BooleanOperation):
            current = parent
            continue
        if isinstance(parent, cst.Return):
            return RETURN, parent
        if isinstance(parent, cst.AugAssign) and parent.value is current:
            return READ, parent
        if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.NamedExpr)):
            return ALIAS, parent
        if isinstance(parent, cst.Call) and parent.func is current:
            return READ, parent  # calling a function object does not change it
        return ESCAPE, parent


def name_uses(name: str, region: cst.CSTNode, ctx: ProgramContext) -> list[tuple[Occurrence, str]]:
    """(occurrence, verdict) for each occurrence of name in region; stores get their kind."""
    result = []
    found = function_occurrences(region, ctx) if isinstance(region, cst.FunctionDef) else occurrences(region, ctx)
    for occurrence in found:
        if occurrence.name != name:
            continue
        if occurrence.kind != LOAD:
            result.append((occurrence, occurrence.kind))
        else:
            result.append((occurrence, use_of(occurrence.node, ctx)[0]))
    return result


def only_read(name: str, region: cst.CSTNode, ctx: ProgramContext,
              allowed: frozenset[str] = frozenset({READ})) -> bool:
    """Whether every occurrence of name in region is a load whose use is in allowed."""
    return all(verdict in allowed for _, verdict in name_uses(name, region, ctx))


def not_mutated(name: str, region: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Name is neither rebound nor mutated nor handed to unknown code in region, and no
    variable that may alias its value (`ys = xs`, `add = xs.append`) occurs in region."""
    if not only_read(name, region, ctx, frozenset({READ, RETURN})):
        return False
    function = region if isinstance(region, cst.FunctionDef) else ctx.enclosing_function(region)
    if function is None:
        return True
    aliases = alias_names(name, function, ctx)
    return not aliases or not (names_in(region, ctx) & aliases)


def alias_names(name: str, function: cst.FunctionDef, ctx: ProgramContext) -> frozenset[str]:
    """Variables of function that may hold name's value, a part of it, or one of its bound
    methods (bound from it by assignment, directly or through other such variables)."""
    key = ("aliases", name, id(function))
    if key in ctx.cache:
        return ctx.cache[key]
    found: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        for occurrence in function_occurrences(function, ctx):
            if occurrence.name != current or occurrence.kind != LOAD:
                continue
            verdict, context = use_of(occurrence.node, ctx)
            if verdict != ALIAS:
                continue
            targets: list[str] = []
            if isinstance(context, cst.Assign):
                for target in context.targets:
                    targets.extend(target_names(target.target))
            elif isinstance(context, (cst.AnnAssign, cst.NamedExpr)):
                targets.extend(target_names(context.target))
            for target in targets:
                if target != name and target not in found:
                    found.add(target)
                    pending.append(target)
    result = frozenset(found)
    ctx.cache[key] = result
    return result


def mutates_possible_alias(name: str, region: cst.CSTNode, function: cst.FunctionDef, ctx: ProgramContext,
                           exempt: frozenset[str] = frozenset(), after: cst.CSTNode | None = None) -> bool:
    """Whether region (its part after the node `after`, in pre-order, when given) mutates, by a
    method call or an item store, a variable other than name (and the exempt ones) that may hold
    name's object: anything but a local that only holds objects the function created.
    (`f(xs, ys)` may be called as `f(a, a)`: then `xs.clear()` empties ys too.) False when name
    itself is such a local."""
    key = ("fresh_locals", id(function))
    fresh = ctx.cache.get(key)
    if fresh is None:
        fresh = ctx.cache[key] = frozenset(fresh_locals(function, ctx))
    if name in fresh:
        return False
    start = -1 if after is None else ctx.node_id(after)
    return any(o.kind == LOAD and o.name != name and o.name not in fresh and o.name not in exempt
               and ctx.node_id(o.node) > start and use_of(o.node, ctx)[0] == MUTATE
               for o in occurrences(region, ctx))


# --- purity ------------------------------------------------------------------------------

_CONSTANT_TYPES = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis)


def is_constant(node: cst.CSTNode) -> bool:
    """A literal number / string / True / False / None (or a tuple of them, or a negated number)."""
    if isinstance(node, _CONSTANT_TYPES):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return is_constant(node.left) and is_constant(node.right)
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return isinstance(node.expression, (cst.Integer, cst.Float, cst.Imaginary))
    if isinstance(node, cst.Tuple):
        return all(isinstance(e, cst.Element) and is_constant(e.value) for e in node.elements)
    return False


def _function_argument_pure(node: cst.BaseExpression, ctx: ProgramContext) -> bool:
    """A value passed where a builtin will call it (key=, map/filter's function)."""
    if isinstance(node, cst.Lambda):
        return is_pure(node.body, ctx)
    if isinstance(node, cst.Name):
        return (node.value in PURE_BUILTINS and ctx.builtin_usable(node.value)) \
            or is_pure_function_name(node.value, ctx)
    if isinstance(node, cst.Attribute):
        base = node.value
        if isinstance(base, cst.Name) and base.value in ("str", "int", "float") and ctx.builtin_usable(base.value):
            return node.attr.value in READ_ONLY_METHODS
        if isinstance(base, cst.Name) and ctx.imported_module(base.value) in PURE_MODULES:
            return True
    return False


def is_pure_call(node: cst.Call, ctx: ProgramContext) -> bool:
    """A call with no side effects, provided its arguments are pure."""
    func = node.func
    if any(arg.star for arg in node.args):
        return False
    if isinstance(func, cst.Name):
        name = func.value
        if name in PURE_BUILTINS and ctx.builtin_usable(name):
            if name in HIGHER_ORDER_BUILTINS:
                for index, arg in enumerate(node.args):
                    calls_it = (arg.keyword is not None and arg.keyword.value == "key") or \
                        (arg.keyword is None and index == 0 and name in ("map", "filter"))
                    if calls_it and not _function_argument_pure(arg.value, ctx):
                        return False
            return True
        return is_pure_function_name(name, ctx)
    if isinstance(func, cst.Attribute):
        base = func.value
        if isinstance(base, cst.Name) and ctx.imported_module(base.value) in PURE_MODULES:
            return True
        return func.attr.value in READ_ONLY_METHODS
    return False


def is_pure(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """An expression whose evaluation has no side effects (it may still raise)."""
    key = ("pure", id(node))
    cached = ctx.cache.get(key)
    if cached is None:
        cached = _is_pure(node, ctx)
        ctx.cache[key] = cached
    return cached


def _is_pure(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    if isinstance(node, (cst.Name, *_CONSTANT_TYPES)):
        return True
    if isinstance(node, cst.Call):
        return is_pure_call(node, ctx) and is_pure(node.func, ctx) and \
            all(is_pure(arg.value, ctx) for arg in node.args)
    if isinstance(node, cst.Lambda):
        return True  # making a closure has no effect; calling it is judged where it is called
    if isinstance(node, (cst.Yield, cst.Await, cst.NamedExpr)):
        return False
    if isinstance(node, (cst.Attribute, cst.Subscript, cst.BinaryOperation, cst.UnaryOperation,
                         cst.BooleanOperation, cst.Comparison, cst.IfExp, cst.Tuple, cst.List, cst.Set,
                         cst.Dict, cst.ConcatenatedString, cst.FormattedString, *COMPREHENSION_TYPES,
                         cst.Element, cst.StarredElement, cst.DictElement, cst.StarredDictElement,
                         cst.SubscriptElement, cst.Index, cst.Slice, cst.ComparisonTarget, cst.CompFor,
                         cst.CompIf, cst.FormattedStringExpression, cst.FormattedStringText)):
        return all(is_pure(child, ctx) for child in node.children if isinstance(child, _EXPRESSION_PARTS))
    return False


_EXPRESSION_PARTS = (cst.BaseExpression, cst.Element, cst.StarredElement, cst.DictElement,
                     cst.StarredDictElement, cst.SubscriptElement, cst.Index, cst.Slice,
                     cst.ComparisonTarget, cst.CompFor, cst.CompIf, cst.FormattedStringExpression,
                     cst.Arg, cst.BaseFormattedStringContent)


def is_pure_function_name(name: str, ctx: ProgramContext) -> bool:
    function = ctx.module_functions.get(name)
    return function is not None and is_pure_function(function, ctx)


def fresh_locals(function: cst.FunctionDef, ctx: ProgramContext) -> set[str]:
    """Locals of function that only ever hold objects the function itself created."""
    params = set(param_names(function.params))
    values: dict[str, list[cst.BaseExpression | None]] = {}
    for occurrence in occurrences(function.body, ctx):
        if occurrence.kind == LOAD or occurrence.nested:
            continue
        values.setdefault(occurrence.name, [])
    for node in ctx.nodes_of_type((cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr)):
        if not ctx.is_inside(node, function.body) or ctx.enclosing_function(node) is not function:
            continue
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    values.setdefault(target.target.value, []).append(node.value)
                else:
                    for name in target_names(target.target):
                        values.setdefault(name, []).append(None)
        elif isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name):
            values.setdefault(node.target.value, []).append(node.value)
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
            values.setdefault(node.target.value, []).append(None)
        elif isinstance(node, cst.For):
            for name in target_names(node.target):
                values.setdefault(name, []).append(None)
        elif isinstance(node, cst.NamedExpr) and isinstance(node.target, cst.Name):
            values.setdefault(node.target.value, []).append(None)
    return {name for name, assigned in values.items()
            if name not in params and assigned and all(v is not None and creates_new_object(v, ctx) for v in assigned)}


def creates_new_object(node: cst.BaseExpression, ctx: ProgramContext) -> bool:
    """A literal display, comprehension or copying call: a brand-new container."""
    if isinstance(node, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
        return True
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and \
            node.func.value in ("list", "dict", "set", "sorted", "bytearray") and ctx.builtin_usable(node.func.value):
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        return isinstance(node.left, (cst.List, cst.ListComp)) or isinstance(node.right, (cst.List, cst.ListComp))
    return False


def is_pure_function(function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    """A def that looks pure: it only reads its arguments and globals, mutates only
    containers it created, and has no global/nonlocal, yield, nested def, or I/O."""
    key = ("pure_function", id(function))
    if key in ctx.cache:
        return ctx.cache[key]
    ctx.cache[key] = True  # optimistic while checking: a recursive call is pure if the rest is
    verdict = _is_pure_function(function, ctx)
    ctx.cache[key] = verdict
    return verdict


def _is_pure_function(function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    if function.asynchronous is not None or function.decorators:
        return False
    body = function.body
    forbidden = (cst.Global, cst.Nonlocal, cst.Yield, cst.Await, cst.FunctionDef, cst.ClassDef, cst.Try,
                 cst.TryStar, cst.With, cst.Import, cst.ImportFrom)
    if has_node(body, forbidden, stop_at_scopes=False):
        return False
    owned = fresh_locals(function, ctx)
    params = set(param_names(function.params))
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if isinstance(node, cst.Call):
            if is_pure_call(node, ctx):
                continue
            func = node.func
            if isinstance(func, cst.Name) and func.value == function.name.value:
                continue
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in owned:
                continue  # mutating a container this call created
            return False
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.Del)):
            target = node.target
            if isinstance(target, (cst.Subscript, cst.Attribute)):
                root = target
                while isinstance(root, (cst.Subscript, cst.Attribute)):
                    root = root.value
                if not (isinstance(root, cst.Name) and root.value in owned):
                    return False
    # parameters must not be handed to anything but reads
    for name in params:
        for _, verdict in name_uses(name, body, ctx):
            if verdict in (MUTATE,):
                return False
    return True


# --- fresh objects ---------------------------------------------------------------------

def returns_immutable(function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    """Whether every `return` of function gives back a value that looks immutable
    (recursive calls to function itself are taken to return what the rest returns)."""
    key = ("returns_immutable", id(function))
    if key in ctx.cache:
        return ctx.cache[key]
    ctx.cache[key] = True  # optimistic during mutual recursion
    verdict = _returns_immutable(function, ctx)
    ctx.cache[key] = verdict
    return verdict


def _returns_immutable(function: cst.FunctionDef, ctx: ProgramContext) -> bool:
    returns = [n for n in ctx.nodes_of_type((cst.Return,)) if ctx.is_inside(n, function.body)
               and ctx.enclosing_function(n) is function]
    owned = fresh_locals(function, ctx)
    assumed = frozenset({function.name.value})
    for node in returns:
        if node.value is None:
            continue
        if value_kind(node.value, ctx, assumed) == FRESH:
            return False
        if any(o.name in owned for o in occurrences(node.value, ctx) if use_of(o.node, ctx)[0] == RETURN):
            return False
    return True


FRESH, SCALAR, UNKNOWN = "fresh", "scalar", "unknown"
_SCALAR_BUILTINS = frozenset({"len", "abs", "int", "float", "str", "round", "ord", "chr", "bool", "hash", "repr",
                              "bin", "hex", "oct", "divmod", "pow", "isinstance", "callable", "sum", "any", "all",
                              "frozenset", "tuple"})


def value_kind(node: cst.BaseExpression, ctx: ProgramContext, assumed: frozenset[str] = frozenset()) -> str:
    """FRESH when evaluating node may build a new mutable object or one-shot iterator
    (so evaluating it once instead of many times could share state), SCALAR when the
    value is surely immutable, else UNKNOWN (an existing object of unknown type)."""
    if isinstance(node, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp, cst.GeneratorExp)):
        return FRESH
    if is_constant(node) or isinstance(node, (cst.Comparison, cst.UnaryOperation, cst.FormattedString,
                                              cst.ConcatenatedString, cst.Lambda)):
        return SCALAR
    if isinstance(node, cst.Tuple):
        kinds = [value_kind(e.value, ctx, assumed) for e in node.elements]
        return FRESH if FRESH in kinds or any(isinstance(e, cst.StarredElement) for e in node.elements) else SCALAR
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Name):
            if func.value in assumed:
                return SCALAR
            if func.value in FRESH_RESULT_BUILTINS:
                return FRESH
            if func.value in _SCALAR_BUILTINS and ctx.builtin_usable(func.value):
                return SCALAR
            if func.value in PURE_BUILTINS and ctx.builtin_usable(func.value):
                return UNKNOWN  # min/max/...: one of the existing items
            user = ctx.module_functions.get(func.value)
            return SCALAR if user is not None and returns_immutable(user, ctx) else FRESH
        if isinstance(func, cst.Attribute):
            if isinstance(func.value, cst.Name) and ctx.imported_module(func.value.value) in PURE_MODULES:
                return SCALAR
            method = func.attr.value
            if method in FRESH_RESULT_METHODS:
                return FRESH
            if method in ELEMENT_METHODS:
                return UNKNOWN
            return SCALAR if method in READ_ONLY_METHODS else FRESH
        return FRESH
    if isinstance(node, cst.BinaryOperation):
        left, right = value_kind(node.left, ctx, assumed), value_kind(node.right, ctx, assumed)
        if FRESH in (left, right):
            return FRESH
        if SCALAR in (left, right):
            return SCALAR
        return FRESH if isinstance(node.operator, (cst.Add, cst.Multiply, cst.BitOr, cst.BitAnd, cst.BitXor,
                                                   cst.Subtract)) else SCALAR
    if isinstance(node, (cst.BooleanOperation, cst.IfExp)):
        parts = (node.left, node.right) if isinstance(node, cst.BooleanOperation) else (node.body, node.orelse)
        kinds = [value_kind(p, ctx, assumed) for p in parts]
        return FRESH if FRESH in kinds else (SCALAR if all(k == SCALAR for k in kinds) else UNKNOWN)
    if isinstance(node, (cst.Yield, cst.Await, cst.NamedExpr)):
        return FRESH
    return UNKNOWN


ITERATOR_BUILTINS = frozenset({"map", "filter", "zip", "enumerate", "reversed", "iter"})


def is_one_shot_iterator(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """An expression that builds an iterator (consumed by one pass, so never shareable)."""
    if isinstance(node, cst.GeneratorExp):
        return True
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and \
        node.func.value in ITERATOR_BUILTINS and ctx.builtin_usable(node.func.value)
