"""Per-character mappings -> `str.translate` with a translation table built once, at module level.

Three shapes map each character of a str on its own:

    out = ""                                   ''.join(M.get(c, c) for c in s)
    for c in s:                                ''.join('#' if c in '0123456789' else c for c in s)
        if c in "0123456789": out += "#"       s.replace('(', '').replace(')', '')
        else: out += c

Each becomes `s.translate(TABLE)` with `TABLE = str.maketrans(...)` computed from the
literals once, before the top-level statement holding the site. `translate` runs in C
at a few ns per character (a Python loop costs 60-130 ns), so the loop and join shapes
gain 30-50x on long strings; replace chains are already in C (see that rule).

Where the value cannot be proven a str, a `_guarded` rule keeps the original code behind
`type(s) is str` (a str subclass or any other iterable takes the original path).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Sequence

import libcst as cst
import libcst.matchers as m

from codeopt_jax import scopes
from codeopt_jax.rewrites import build, liveness, names
from codeopt_jax.rewrites.base import Edit, Rule, Safety
from codeopt_jax.rewrites.context import ProgramContext
from codeopt_jax.rewrites.loopshape import (Initializer, added_to, branch_values, find_initializer, loop_chain,
                                            replace_loop)

# Widest character range `'a' <= c <= 'z'` expanded into a table.
MAX_RANGE = 256

# --- proving a value is a str -------------------------------------------------------------

# Methods that return a str when called on a str.
STR_RESULT_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "replace", "translate", "casefold", "title", "capitalize",
    "swapcase", "zfill", "center", "ljust", "rjust", "removeprefix", "removesuffix", "expandtabs", "format",
    "join",
})
# Builtins whose result is a str.
STR_RESULT_BUILTINS = frozenset({"str", "repr", "chr", "format", "ascii"})
# Methods that return a list of str when called on a str.
STR_LIST_METHODS = frozenset({"split", "rsplit", "splitlines"})


def str_literal(node: cst.CSTNode) -> str | None:
    """The value of a str (not bytes) literal without formatting, else None."""
    if not isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an invalid escape such as "\d" warns, and may raise when warnings are errors
        try:
            value = node.evaluated_value
        except (SyntaxError, ValueError):
            return None
    return value if isinstance(value, str) else None


def is_str_value(node: cst.CSTNode, ctx: ProgramContext, assumed: frozenset[str] = frozenset()) -> bool:
    """Whether evaluating node surely gives a str (or raises): a str literal or f-string,
    str()/repr()/chr()/format(), a str method called on a str, a `+` of two strs, or a local
    variable of the enclosing function bound only to such values (or to the characters /
    split pieces of one). Names in assumed count as strs."""
    if str_literal(node) is not None or isinstance(node, cst.FormattedString):
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return is_str_value(node.left, ctx, assumed) and is_str_value(node.right, ctx, assumed)
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Name):
            return func.value in STR_RESULT_BUILTINS and ctx.builtin_usable(func.value)
        if isinstance(func, cst.Attribute) and func.attr.value in STR_RESULT_METHODS:
            return is_str_value(func.value, ctx, assumed)
        return False
    if isinstance(node, cst.Name):
        return node.value in assumed or _str_local(node, ctx, assumed)
    return False


def str_root(node: cst.CSTNode) -> cst.Name | None:
    """The name a chain of str method calls starts from (`s` in `s.strip().lower()`)."""
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
            node.func.attr.value in STR_RESULT_METHODS:
        node = node.func.value
    return node if isinstance(node, cst.Name) else None


def guard_subject(node: cst.CSTNode, ctx: ProgramContext) -> cst.Name | None:
    """The name to test with `type(name) is str` so that node is then surely a str: the root
    of a str method chain that is not proven a str already."""
    if is_str_value(node, ctx):
        return None
    root = str_root(node)
    if root is None or not is_str_value(node, ctx, frozenset({root.value})):
        return None
    function = ctx.in_function_body(node)
    if function is not None and root.value in names.stored_names(function.body, ctx):
        return None  # a value derived from an earlier binding need not match the tested one
    return root


def _str_local(node: cst.Name, ctx: ProgramContext, assumed: frozenset[str]) -> bool:
    """Whether node is a local bound only to strs, taking the names in assumed (guarded names
    and the locals being checked further up) as strs."""
    name = node.value
    function = ctx.in_function_body(node)
    if function is None or name in scopes.param_names(function.params):
        return False
    seen = assumed | {name}
    stores = 0
    for occurrence in names.function_occurrences(function, ctx):
        if occurrence.name != name:
            continue
        if occurrence.nested or occurrence.kind in (scopes.DEL, scopes.DECL):
            return False
        if occurrence.kind == scopes.LOAD:
            continue
        stores += 1
        holder = ctx.parent(occurrence.node)
        if isinstance(holder, cst.AssignTarget):
            assign = ctx.parent(holder)
            if not (isinstance(assign, cst.Assign) and holder.target is occurrence.node
                    and is_str_value(assign.value, ctx, seen)):
                return False
        elif isinstance(holder, cst.AugAssign) and isinstance(holder.operator, cst.AddAssign):
            if not is_str_value(holder.value, ctx, seen):
                return False
        elif isinstance(holder, cst.For) and holder.target is occurrence.node:
            if not _iterates_strs(holder.iter, ctx, seen):
                return False
        else:
            return False
    return stores > 0


def _iterates_strs(node: cst.CSTNode, ctx: ProgramContext, seen: frozenset[str]) -> bool:
    """Whether iterating node yields strs: the characters of a str, or `s.split()` pieces."""
    if is_str_value(node, ctx, seen):
        return True
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
        node.func.attr.value in STR_LIST_METHODS and is_str_value(node.func.value, ctx, seen)


# --- which characters a test accepts --------------------------------------------------------

def _char_literal(node: cst.CSTNode) -> str | None:
    value = str_literal(node)
    return value if value is not None and len(value) == 1 else None


def _unique(chars: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(chars))


def chars_tested(test: cst.CSTNode, var: str) -> list[str] | None:
    """The characters c for which `test` is true when var is the one-character str c
    (in order of first mention), or None when the test is not a plain character test:
    `c == 'x'`, `'x' == c`, `c in 'xyz'`, `c in ('x', 'y')` (list/set too),
    `'a' <= c <= 'z'`, and `or` of those."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        left, right = chars_tested(test.left, var), chars_tested(test.right, var)
        return None if left is None or right is None else _unique(left + right)
    if not isinstance(test, cst.Comparison):
        return None
    is_var = m.Name(var)
    if len(test.comparisons) == 1:
        operator, other = test.comparisons[0].operator, test.comparisons[0].comparator
        if isinstance(operator, cst.Equal):
            if m.matches(test.left, is_var) and str_literal(other) is not None:
                return [str_literal(other)] if len(str_literal(other)) == 1 else []
            if m.matches(other, is_var) and str_literal(test.left) is not None:
                return [str_literal(test.left)] if len(str_literal(test.left)) == 1 else []
            return None
        if isinstance(operator, cst.In) and m.matches(test.left, is_var):
            text = str_literal(other)
            if text is not None:
                return _unique(text)
            if isinstance(other, (cst.Tuple, cst.List, cst.Set)) and other.elements and \
                    all(isinstance(e, cst.Element) and str_literal(e.value) is not None for e in other.elements):
                return _unique([str_literal(e.value) for e in other.elements if len(str_literal(e.value)) == 1])
        return None
    if len(test.comparisons) == 2 and m.matches(test.comparisons[0].comparator, is_var):
        low, high = _char_literal(test.left), _char_literal(test.comparisons[1].comparator)
        first, second = test.comparisons[0].operator, test.comparisons[1].operator
        if low is None or high is None or not isinstance(first, (cst.LessThan, cst.LessThanEqual)) or \
                not isinstance(second, (cst.LessThan, cst.LessThanEqual)):
            return None
        start = ord(low) + (1 if isinstance(first, cst.LessThan) else 0)
        stop = ord(high) + (0 if isinstance(second, cst.LessThan) else 1)
        if stop - start > MAX_RANGE:
            return None
        return [chr(code) for code in range(start, stop)]
    return None


@dataclasses.dataclass(frozen=True)
class CharMap:
    """A per-character mapping: char -> replacement (chars absent map to themselves)."""

    pairs: tuple[tuple[str, str], ...]


def _mapping_from_branches(branches: Sequence[tuple[cst.CSTNode, cst.CSTNode]], final: cst.CSTNode | None,
                           var: str) -> CharMap | None:
    """The mapping of an if/elif chain (first match wins) whose tests are character tests
    on var and whose values are str literals or var itself; the else value must be var."""
    if final is None or not m.matches(final, m.Name(var)):
        return None
    claimed: dict[str, str | None] = {}
    for test, value in branches:
        chars = chars_tested(test, var)
        replacement = str_literal(value)
        if chars is None or (replacement is None and not m.matches(value, m.Name(var))):
            return None
        for char in chars:
            claimed.setdefault(char, replacement)
    pairs = tuple((char, new) for char, new in claimed.items() if new is not None and new != char)
    return CharMap(pairs) if pairs else None


def _dict_literal_mapping(node: cst.CSTNode) -> CharMap | None:
    """The mapping of a dict display of one-character str keys and str values (last wins)."""
    if not isinstance(node, cst.Dict) or not node.elements:
        return None
    mapping: dict[str, str] = {}
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            return None
        key, value = _char_literal(element.key), str_literal(element.value)
        if key is None or value is None:
            return None
        mapping[key] = value
    pairs = tuple((char, new) for char, new in mapping.items() if new != char)
    return CharMap(pairs) if pairs else None


def _constant_char_dict(name: str, where: cst.CSTNode, ctx: ProgramContext) -> CharMap | None:
    """The mapping held by name when the program binds it once, to a dict literal of
    characters, either at module level or in where's own function before where, and only
    ever reads it with `name.get(...)`, `name[...]`, `... in name` or `len(name)`."""
    binding: cst.Assign | None = None
    for occurrence in names.occurrences(ctx.module, ctx):
        if occurrence.name != name:
            continue
        if occurrence.kind == scopes.LOAD:
            if not _reads_dict(occurrence.node, ctx):
                return None
            continue
        holder = ctx.parent(occurrence.node)
        assign = ctx.parent(holder) if isinstance(holder, cst.AssignTarget) else None
        if binding is not None or not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or \
                holder.target is not occurrence.node:
            return None
        binding = assign
    if binding is None:
        return None
    at_module_level = isinstance(ctx.parent(ctx.parent(binding)), cst.Module)
    function = ctx.in_function_body(where)
    statement = ctx.statement_of(where)
    local = function is not None and ctx.in_function_body(binding) is function and statement is not None and \
        liveness.bound_before(name, statement, ctx)
    if function is None and at_module_level:
        at_module_level = ctx.node_id(binding) < ctx.node_id(where)
    if not (at_module_level or local):
        return None
    return _dict_literal_mapping(binding.value)


def _reads_dict(node: cst.Name, ctx: ProgramContext) -> bool:
    parent = ctx.parent(node)
    if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value == "get":
        call = ctx.parent(parent)
        return isinstance(call, cst.Call) and call.func is parent
    if isinstance(parent, cst.Subscript) and parent.value is node:
        return not names.in_store_target(parent, ctx)
    if isinstance(parent, cst.ComparisonTarget) and isinstance(parent.operator, (cst.In, cst.NotIn)):
        return True
    if isinstance(parent, cst.Arg) and parent.keyword is None:
        call = ctx.parent(parent)
        return m.matches(call.func, m.Name("len")) and ctx.builtin_usable("len")
    return False


def _element_mapping(element: cst.CSTNode, var: str, where: cst.CSTNode, ctx: ProgramContext) -> CharMap | None:
    """The mapping computed by a per-character expression: `M.get(c, c)` with M a constant
    dict of characters, or an if-expression chain `'x' if <test on c> else ... else c`."""
    if m.matches(element, m.Call(func=m.Attribute(value=m.Name(), attr=m.Name("get")),
                                 args=[m.Arg(value=m.Name(var), keyword=None, star=""),
                                       m.Arg(value=m.Name(var), keyword=None, star="")])):
        return _constant_char_dict(element.func.value.value, where, ctx)
    if isinstance(element, cst.IfExp):
        branches: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        current: cst.CSTNode = element
        while isinstance(current, cst.IfExp):
            branches.append((current.test, current.body))
            current = current.orelse
        return _mapping_from_branches(branches, current, var)
    return None


# --- building the table and the new code ------------------------------------------------------

def _literal(text: str) -> cst.SimpleString:
    """A str literal for text, double-quoted when that needs no escapes."""
    code = repr(text)
    if code.startswith("'") and '"' not in text and "\\'" not in code:
        code = '"' + code[1:-1] + '"'
    return cst.SimpleString(code)


def maketrans_call(mapping: CharMap) -> cst.Call:
    """`str.maketrans("ab", "xy"[, "deleted"])`, or the dict form when some replacement is
    longer than one character."""
    maketrans = cst.Attribute(value=cst.Name("str"), attr=cst.Name("maketrans"))
    if any(len(new) > 1 for _, new in mapping.pairs):
        entries = [cst.DictElement(key=_literal(old), value=_literal(new)) for old, new in mapping.pairs]
        return build.call(maketrans, cst.Dict(elements=entries))
    kept = [(old, new) for old, new in mapping.pairs if new]
    deleted = "".join(old for old, new in mapping.pairs if not new)
    args = [_literal("".join(old for old, _ in kept)), _literal("".join(new for _, new in kept))]
    if deleted:
        args.append(_literal(deleted))
    return build.call(maketrans, *args)


def _top_statement(node: cst.CSTNode, ctx: ProgramContext) -> cst.CSTNode:
    current = node
    for ancestor in ctx.ancestors(node):
        if isinstance(ancestor, cst.Module):
            return current
        current = ancestor
    return current


def _table_edit(site: cst.CSTNode, mapping: CharMap, ctx: ProgramContext) -> tuple[str, tuple]:
    """(table name, replacement) defining the table before the top-level statement holding site."""
    function = ctx.enclosing_function(site)
    base = f"{function.name.value}_table" if function is not None else "translation_table"
    table = ctx.fresh_name(base.upper())
    anchor = _top_statement(site, ctx)
    line = build.assign(table, maketrans_call(mapping))

    def put_before(updated: cst.CSTNode) -> cst.FlattenSentinel:
        after = updated.with_changes(leading_lines=())
        if isinstance(updated, (cst.FunctionDef, cst.ClassDef)):
            after = updated.with_changes(leading_lines=(cst.EmptyLine(), cst.EmptyLine()))
        return cst.FlattenSentinel([line.with_changes(leading_lines=updated.leading_lines), after])

    return table, (anchor, put_before)


def translate_call(value: cst.BaseExpression, table: str) -> cst.Call:
    """`value.translate(TABLE)`."""
    receiver = build.as_operand(build.clean(value))
    return build.call(cst.Attribute(value=receiver, attr=cst.Name("translate")), cst.Name(table))


def type_is_str(name: cst.Name) -> cst.BaseExpression:
    """`type(name) is str`."""
    return build.expr("type({v}) is str", v=name)


def _guard_usable(ctx: ProgramContext) -> bool:
    return ctx.builtin_usable("type") and ctx.builtin_usable("str")


_IFEXP_HOMES = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return, cst.Arg, cst.Element)


def stands_alone(node: cst.CSTNode, ctx: ProgramContext) -> bool:
    """Whether an if-expression put where node stands needs no parentheses: the value of an
    assignment or return, a call argument or display element, a comprehension's element."""
    parent = ctx.parent(node)
    if isinstance(parent, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        return parent.elt is node
    return isinstance(parent, _IFEXP_HOMES)


def guarded_expression(node: cst.BaseExpression, test: cst.BaseExpression, fast: cst.BaseExpression,
                       ctx: ProgramContext) -> cst.BaseExpression:
    """`fast if test else <node>`, parenthesized unless it stands alone (node is replaced by it)."""
    original = build.clean(node).with_changes(lpar=[], rpar=[])
    choice = cst.IfExp(test=test, body=build.as_disjunction(fast), orelse=build.as_disjunction(original))
    if node.lpar or not stands_alone(node, ctx):
        return build.parenthesized(choice)
    return choice


# --- ''.join(<per-character expression> for c in s) -----------------------------------------

@dataclasses.dataclass(frozen=True)
class JoinSite:
    """`''.join(<element> for <var> in <source>)` computing the mapping."""

    source: cst.BaseExpression
    mapping: CharMap


@dataclasses.dataclass(frozen=True)
class GuardedJoinSite:
    """A join site whose source is a str when subject is one."""

    site: JoinSite
    subject: cst.Name


_EMPTY_JOIN = m.Call(func=m.Attribute(value=m.SimpleString(), attr=m.Name("join")),
                     args=[m.Arg(value=m.GeneratorExp() | m.ListComp(), keyword=None, star="")])


def _join_site(node: cst.CSTNode, ctx: ProgramContext) -> JoinSite | None:
    if not m.matches(node, _EMPTY_JOIN) or str_literal(node.func.value) != "":
        return None
    comprehension = node.args[0].value
    comp_for = comprehension.for_in
    if comp_for.ifs or comp_for.inner_for_in is not None or comp_for.asynchronous is not None or \
            not isinstance(comp_for.target, cst.Name):
        return None
    var = comp_for.target.value
    mapping = _element_mapping(comprehension.elt, var, node, ctx)
    if mapping is None or not _guard_usable(ctx):
        return None
    return JoinSite(source=comp_for.iter, mapping=mapping)


class CharJoinToTranslate(Rule):
    """`''.join(M.get(c, c) for c in s)` (M a constant dict of characters) or
    `''.join('#' if c in '0123456789' else c for c in s)` (an if-expression chain over
    character tests whose values are literals or c, ending in c) becomes
    `s.translate(TABLE)`, with `TABLE = str.maketrans(...)` defined once at module level.

    Precondition (checked): s is surely a str (literal, str method result, str(), a local
    only bound to strs...); M is bound once to a dict display of one-character keys and str
    values and only read (`.get`, `[...]`, `in`, len) anywhere; tests are `c == 'x'`,
    `c in 'xyz'` / a tuple of literals, `'a' <= c <= 'z'`, or `or` of them.
    Helps on strings longer than a few characters (30-50x on long ones); on a 1-3
    character string the call overheads are similar.
    """

    name = "char_join_to_translate"
    description = "''.join(M.get(c, c) for c in s) / ''.join('#' if c in '09' else c for c in s)  ->  s.translate(T)"
    safety = Safety.CONDITIONAL
    families = ("string_concat",)
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> JoinSite | None:
        site = _join_site(node, ctx)
        return site if site is not None and is_str_value(site.source, ctx) else None

    def build(self, node: cst.CSTNode, found: JoinSite, ctx: ProgramContext) -> Edit:
        table, define = _table_edit(node, found.mapping, ctx)
        new = translate_call(found.source, table).with_changes(lpar=node.lpar, rpar=node.rpar)
        return Edit([define, (node, new)])


class CharJoinToTranslateGuarded(Rule):
    """The guarded form of char_join_to_translate for a name s not proven a str:
    `(s.translate(TABLE) if type(s) is str else ''.join(... for c in s))`. A str takes
    the fast path; anything else (a list of characters, a str subclass) runs the original.

    Precondition (checked): as char_join_to_translate, except that s is not proven a str:
    it is a name, or a chain of str methods on a name (`s.lower()`), that the function
    never rebinds, and the guard tests that name.
    The guard costs about 30 ns a call; the gain is as for char_join_to_translate.
    """

    name = "char_join_to_translate_guarded"
    description = "''.join(M.get(c, c) for c in s)  ->  s.translate(T) if type(s) is str else ''.join(...)"
    safety = Safety.CONDITIONAL
    families = ("string_concat",)
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> GuardedJoinSite | None:
        site = _join_site(node, ctx)
        subject = guard_subject(site.source, ctx) if site is not None else None
        return GuardedJoinSite(site, subject) if subject is not None else None

    def build(self, node: cst.CSTNode, found: GuardedJoinSite, ctx: ProgramContext) -> Edit:
        table, define = _table_edit(node, found.site.mapping, ctx)
        new = guarded_expression(node, type_is_str(found.subject), translate_call(found.site.source, table), ctx)
        return Edit([define, (node, new)])


# --- out = ""; for c in s: if/elif/else appending ------------------------------------------------

@dataclasses.dataclass(frozen=True)
class LoopSite:
    """`acc = "<literal>"` then `for var in source:` appending the mapped character to acc."""

    loop: cst.For
    init: Initializer
    accumulator: str
    source: cst.BaseExpression
    mapping: CharMap


def _loop_site(node: cst.CSTNode, ctx: ProgramContext) -> LoopSite | None:
    chain = loop_chain(node)
    if chain is None or len(chain.clauses) != 1 or len(chain.leaves) != 1 or not isinstance(node.target, cst.Name):
        return None
    var = node.target.value
    leaf = chain.leaves[0]
    grown = added_to(leaf)
    if grown is not None:
        accumulator, mapping = grown[0], _element_mapping(grown[1], var, node, ctx)
    else:
        branches = branch_values(leaf, added_to, allow_missing_else=False)
        if branches is None:
            return None
        accumulator, pairs, final = branches
        mapping = _mapping_from_branches(pairs, final, var)
    if mapping is None or accumulator == var or names.mentions(node.iter, accumulator, ctx) or \
            not _guard_usable(ctx):
        return None
    init = find_initializer(node, accumulator, ctx)
    if init is None or str_literal(init.value) is None:
        return None
    if not liveness.dead_after(node, [var], ctx):
        return None
    return LoopSite(loop=node, init=init, accumulator=accumulator, source=node.iter, mapping=mapping)


@dataclasses.dataclass(frozen=True)
class GuardedLoopSite:
    """A loop site whose source is a str when subject is one."""

    site: LoopSite
    subject: cst.Name


def _joined_value(site: LoopSite, table: str) -> cst.BaseExpression:
    translated = translate_call(site.source, table)
    if str_literal(site.init.value) == "":
        return translated
    return cst.BinaryOperation(left=build.as_operand(build.clean(site.init.value)), operator=cst.Add(),
                               right=translated)


class CharLoopToTranslate(Rule):
    """`out = ""` then `for c in s:` whose body appends one mapped character (an if/elif/else
    chain of character tests whose branches each do `out += '<literal>'`, ending in
    `else: out += c`; or `out += M.get(c, c)`) becomes `out = s.translate(TABLE)` with
    `TABLE = str.maketrans(...)` defined once at module level (a non-empty start stays
    as a prefix).

    Precondition (checked): s is surely a str; the start is a str literal and nothing
    between it and the loop mentions out; s does not mention out; c is not read after the
    loop; tests as in char_join_to_translate (the first matching branch wins).
    Helps on strings longer than a few characters (30-50x on long ones).
    """

    name = "char_loop_to_translate"
    description = "out = ''; for c in s: if c in '09': out += '#' else: out += c  ->  out = s.translate(T)"
    safety = Safety.CONDITIONAL
    families = ("string_concat",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> LoopSite | None:
        site = _loop_site(node, ctx)
        return site if site is not None and is_str_value(site.source, ctx) else None

    def build(self, node: cst.CSTNode, found: LoopSite, ctx: ProgramContext) -> Edit:
        table, define = _table_edit(node, found.mapping, ctx)
        new = build.assign(found.accumulator, _joined_value(found, table))
        return Edit([define, *replace_loop(ctx, node, found.init, new)])


class CharLoopToTranslateGuarded(Rule):
    """The guarded form of char_loop_to_translate for a name s not proven a str:

        if type(s) is str:
            out = s.translate(TABLE)
        else:
            out = ""
            for c in s: ...      (the original loop)

    Precondition (checked): as char_loop_to_translate, except that s is not proven a str
    (a name, or str methods on a name, that the function never rebinds: the guard tests
    it), and the start `out = "..."` sits right before the loop.
    The guard costs about 30 ns a call; the gain is as for char_loop_to_translate.
    """

    name = "char_loop_to_translate_guarded"
    description = "out = ''; for c in s: ...  ->  if type(s) is str: out = s.translate(T) else: <original loop>"
    safety = Safety.CONDITIONAL
    families = ("string_concat",)
    anchor_types = (cst.For,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> GuardedLoopSite | None:
        site = _loop_site(node, ctx)
        if site is None or not site.init.adjacent:
            return None
        subject = guard_subject(site.source, ctx)
        return GuardedLoopSite(site, subject) if subject is not None else None

    def build(self, node: cst.CSTNode, found: GuardedLoopSite, ctx: ProgramContext) -> Edit:
        site = found.site
        table, define = _table_edit(node, site.mapping, ctx)
        fast = build.assign(site.accumulator, _joined_value(site, table))
        slow = [build.clean(site.init.line).with_changes(leading_lines=()),
                build.clean(node).with_changes(leading_lines=())]
        guard = cst.If(test=type_is_str(found.subject), body=cst.IndentedBlock(body=[fast]),
                       orelse=cst.Else(body=cst.IndentedBlock(body=slow)))
        return Edit([define, *replace_loop(ctx, node, site.init, guard)])


# --- s.replace('a', 'b').replace('c', '') ---------------------------------------------------------

MIN_CHAIN = 2

_REPLACE_CALL = m.Call(func=m.Attribute(attr=m.Name("replace")),
                       args=[m.Arg(keyword=None, star=""), m.Arg(keyword=None, star="")])


def _replace_step(node: cst.CSTNode) -> tuple[str, str] | None:
    """(old, new) for `<x>.replace('<one char>', '<literal>')`."""
    if not m.matches(node, _REPLACE_CALL):
        return None
    old, new = _char_literal(node.args[0].value), str_literal(node.args[1].value)
    return None if old is None or new is None else (old, new)


@dataclasses.dataclass(frozen=True)
class ReplaceChain:
    """A chain of single-character replacements applied to source."""

    source: cst.BaseExpression
    mapping: CharMap


@dataclasses.dataclass(frozen=True)
class GuardedReplaceChain:
    """A replace chain whose source is a str when subject is one."""

    chain: ReplaceChain
    subject: cst.Name


def _replace_chain(node: cst.CSTNode, ctx: ProgramContext) -> ReplaceChain | None:
    if _replace_step(node) is None:
        return None
    parent = ctx.parent(node)
    if isinstance(parent, cst.Attribute) and parent.value is node and _replace_step(ctx.parent(parent)) is not None \
            and ctx.parent(parent).func is parent:
        return None  # not the outermost call of the chain
    steps: list[tuple[str, str]] = []
    current: cst.CSTNode = node
    while (step := _replace_step(current)) is not None:
        steps.append(step)
        current = current.func.value
    steps.reverse()
    if len(steps) < MIN_CHAIN:
        return None
    for index, (_, new) in enumerate(steps):
        if any(old in new for old, _ in steps[index + 1:]):
            return None  # an earlier replacement's output feeds a later one
    claimed: dict[str, str] = {}
    for old, new in steps:
        claimed.setdefault(old, new)
    pairs = tuple((old, new) for old, new in claimed.items() if old != new)
    if not pairs or not _guard_usable(ctx):
        return None
    return ReplaceChain(source=current, mapping=CharMap(pairs))


class ReplaceChainToTranslate(Rule):
    """`s.replace('(', '').replace(')', '').replace(',', ';')` (two or more replacements of
    one character by a literal) becomes `s.translate(TABLE)` with the table defined once
    at module level.

    Precondition (checked): s is surely a str; no replacement's output contains a
    character a later replacement replaces (so doing them all at once is the same); the
    outermost call of the chain.
    Each str.replace is a fast C scan (under 1 ns per character when little matches), and
    translate costs 2-3 ns per character: this pays off only for long chains (about eight
    or more replacements) or text dense with matches; short chains get slower.
    """

    name = "replace_chain_to_translate"
    description = "s.replace('(', '').replace(')', '')  ->  s.translate(T) (one-character old values)"
    safety = Safety.CONDITIONAL
    families = ("string_concat",)
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> ReplaceChain | None:
        chain = _replace_chain(node, ctx)
        return chain if chain is not None and is_str_value(chain.source, ctx) else None

    def build(self, node: cst.CSTNode, found: ReplaceChain, ctx: ProgramContext) -> Edit:
        table, define = _table_edit(node, found.mapping, ctx)
        return Edit([define, (node, translate_call(found.source, table).with_changes(lpar=node.lpar,
                                                                                    rpar=node.rpar))])


class ReplaceChainToTranslateGuarded(Rule):
    """The guarded form of replace_chain_to_translate for a name s not proven a str:
    `(s.translate(TABLE) if type(s) is str else s.replace(...).replace(...))`.

    Precondition (checked): as replace_chain_to_translate, except that s is not proven a
    str (a name, or str methods on a name, that the function never rebinds: the guard
    tests it). The same cost note applies: short chains get slower.
    """

    name = "replace_chain_to_translate_guarded"
    description = "s.replace('(', '').replace(')', '')  ->  s.translate(T) if type(s) is str else <the chain>"
    safety = Safety.CONDITIONAL
    families = ("string_concat",)
    anchor_types = (cst.Call,)

    def match(self, node: cst.CSTNode, ctx: ProgramContext) -> GuardedReplaceChain | None:
        chain = _replace_chain(node, ctx)
        subject = guard_subject(chain.source, ctx) if chain is not None else None
        return GuardedReplaceChain(chain, subject) if subject is not None else None

    def build(self, node: cst.CSTNode, found: GuardedReplaceChain, ctx: ProgramContext) -> Edit:
        table, define = _table_edit(node, found.chain.mapping, ctx)
        new = guarded_expression(node, type_is_str(found.subject), translate_call(found.chain.source, table), ctx)
        return Edit([define, (node, new)])
