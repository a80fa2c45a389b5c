"""Programs as fixed-size integer arrays for the policy (the tokenizer).

`tokenize(module, max_len)` walks the program in the same pre-order as
`codeopt_jax.program.preorder`, so node ids and token positions line up. Each
informative node becomes one token; pure syntax (whitespace, comments,
newlines, parentheses and brackets, commas, colons, semicolons, dots, `=` in
keyword arguments) is skipped, but its children are still walked. Position 0 is
always the `Module` node and serves as the summary (CLS) position.

Tokens:

* node types: one id per libcst node class (`For`, `Call`, `Add`, `In`, ...);
  operators are nodes in libcst, so each gets its own token. A node class the
  vocabulary does not know maps to `<unk>`.
* identifiers (`Name` nodes) are classified, in this order:
  a name bound inside the current function (parameter, assignment, loop or
  `with` target, nested def, ...) and not declared `global` gets a local
  anonymous token `v0..v63` in order of first use within the outermost
  enclosing function (nested functions, lambdas and comprehensions share it;
  a function's own name and decorators belong to the enclosing scope; class
  bodies outside methods count as module level);
  a name bound at module level (top-level def, class, assignment, or declared
  `global` anywhere) gets a global anonymous token `g0..g15` in order of first
  use in the module; a name from the fixed list of builtins and library names
  (`len`, `range`, `math`, `Counter`, `lru_cache`, ...) keeps its name, and so
  does an import alias of one (`from functools import lru_cache as c`); any
  other name is anonymous in the current scope. Past the caps, names share
  `<v:overflow>` / `<g:overflow>`.
* attribute names (`obj.attr`) keep their name when it is in the fixed list
  (`append`, `items`, `join`, ...), else they are anonymous in the current
  scope's namespace (so `self.total` and a local `total` share an id).
  Keyword-argument names keep their name when known (`key=`, `reverse=`),
  else become `<kwarg>`.
* literals are bucketed: ints 0, 1, 2, 3-10, 11-1000, >1000 (a negative
  literal is a `UnaryOperation` + `Minus` + the bucket); strings empty, one
  character, short (2-16), long; bytes; floats; imaginary numbers; f-string
  and t-string text. `True`, `False` and `None` are names and keep their name.

The vocabulary (`codeopt_jax.vocabulary`) is fixed, not built from data, so ids
are stable and unseen code always tokenizes.

Arrays (length `L = max_len`): `tokens` (int32, `<pad>` = 0 on padding),
`depth` (int32, depth in the tree of emitted tokens, the module is 0, a token
is one deeper than its parent, clipped to `max_depth`), `parent` (int32,
position of the nearest emitted ancestor, -1 for the module and for padding),
`valid` (bool) and `node_id` (int32, the node id at each position, -1 on
padding).

Truncation: a program with more than L tokens keeps L of them. Without a focus,
the first L tokens of the pre-order walk, so outer structure survives and every
kept token's parent is kept too. With `focus` (the name of a top-level function,
the problem's entry point), position 0 still holds the `Module` token and
positions 1..L-1 hold a window of L-1 consecutive tokens of the walk, centred on
the focus function's tokens (starting at its `def` when the function alone is
longer than L-1), clipped to the program's bounds: position p >= 1 holds token
p + `window_offset` of the whole walk. A kept token whose parent is cut off gets
parent -1 (the "no parent" the encoder knows); depth stays the depth in the
whole tree; node ids stay the global pre-order ids. A program that fits in L
tokens, or whose focus is not a top-level function, gets the prefix
(`window_offset` 0), so the focus changes nothing for it. Nodes outside the kept
tokens are absent from `node_to_position`, so rewrite sites there are masked out.

The action space over these positions is `codeopt_jax.actions`.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence

import libcst as cst
import numpy as np

from codeopt_jax import vocabulary as vocab
from codeopt_jax.scopes import target_names

# ---------------------------------------------------------------------------
# Per-scope bindings (which names a function or the module binds), from `scopes.target_names`.


# `node.children` is recomputed on every access, so one walk caches it by node identity.
_Children = Mapping[int, Sequence[cst.CSTNode]]


def _children_by_id(module: cst.CSTNode) -> dict[int, Sequence[cst.CSTNode]]:
    """id(node) -> node.children for every node of the tree."""
    children: dict[int, Sequence[cst.CSTNode]] = {}
    stack = [module]
    while stack:
        node = stack.pop()
        kids = children[id(node)] = node.children
        stack.extend(kids)
    return children


def _iter_subtree(roots: Iterable[cst.CSTNode], children: _Children, *, into_functions: bool) -> Iterator[cst.CSTNode]:
    """Nodes under roots; without into_functions, stops at function and lambda bodies."""
    stack = list(roots)
    while stack:
        node = stack.pop()
        yield node
        if not into_functions and isinstance(node, (cst.FunctionDef, cst.Lambda)):
            continue
        stack.extend(children[id(node)])


def _dotted_name(expression: cst.CSTNode) -> list[str]:
    """The parts of a dotted import name (`os.path` -> ["os", "path"])."""
    if isinstance(expression, cst.Name):
        return [expression.value]
    if isinstance(expression, cst.Attribute):
        return _dotted_name(expression.value) + [expression.attr.value]
    return []


@dataclasses.dataclass
class _Bindings:
    assigned: set[str] = dataclasses.field(default_factory=set)
    imported: set[str] = dataclasses.field(default_factory=set)
    known_aliases: dict[str, str] = dataclasses.field(default_factory=dict)
    declared_global: set[str] = dataclasses.field(default_factory=set)


def _collect_bindings(nodes: Iterable[cst.CSTNode], bindings: _Bindings) -> None:
    """Adds the names bound by (not inside nested scopes of) the given nodes."""
    assigned = bindings.assigned
    for node in nodes:
        if isinstance(node, cst.Param):
            assigned.add(node.name.value)
        elif isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor)):
            assigned.update(target_names(node.target))
        elif isinstance(node, cst.NamedExpr):
            assigned.update(target_names(node.target))
        elif isinstance(node, (cst.WithItem, cst.ExceptHandler, cst.ExceptStarHandler)):
            alias = node.asname if isinstance(node, cst.WithItem) else node.name
            if alias is not None:
                assigned.update(target_names(alias.name))
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            assigned.add(node.name.value)
        elif isinstance(node, (cst.MatchAs, cst.MatchStar)):
            if node.name is not None:
                assigned.add(node.name.value)
        elif isinstance(node, cst.MatchMapping):
            if node.rest is not None:
                assigned.add(node.rest.value)
        elif isinstance(node, cst.Global):
            bindings.declared_global.update(item.name.value for item in node.names)
        elif isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                parts = _dotted_name(alias.name)
                if not parts:
                    continue
                if alias.asname is None:
                    bindings.imported.add(parts[0] if isinstance(node, cst.Import) else parts[-1])
                    continue
                bound = list(target_names(alias.asname.name))
                bindings.imported.update(bound)
                if parts[-1] in vocab.KNOWN_NAME_IDS:
                    bindings.known_aliases.update((name, parts[-1]) for name in bound)


def _module_bindings(module: cst.Module, children: _Children) -> _Bindings:
    """Module-level bindings, plus every name any function declares `global`."""
    bindings = _Bindings()
    _collect_bindings(_iter_subtree([module], children, into_functions=False), bindings)
    for node in _iter_subtree([module], children, into_functions=True):
        if isinstance(node, cst.Global):
            bindings.assigned.update(item.name.value for item in node.names)
    return bindings


def _function_bindings(function: cst.FunctionDef, children: _Children) -> _Bindings:
    """Bindings of a function and everything nested in it (one shared scope)."""
    bindings = _Bindings()
    roots = [function.params, function.body]
    _collect_bindings(_iter_subtree(roots, children, into_functions=True), bindings)
    bindings.assigned -= bindings.declared_global
    bindings.imported -= bindings.declared_global
    return bindings


class _Namespace:
    """Anonymous names handed out in order of first use, up to a cap."""

    def __init__(self, token_ids: Sequence[int], overflow: int) -> None:
        self._token_ids = token_ids
        self._overflow = overflow
        self._assigned: dict[str, int] = {}

    def token(self, name: str) -> int:
        token = self._assigned.get(name)
        if token is None:
            index = len(self._assigned)
            token = self._token_ids[index] if index < len(self._token_ids) else self._overflow
            self._assigned[name] = token
        return token


@dataclasses.dataclass
class _Scope:
    bindings: _Bindings
    namespace: _Namespace
    is_function: bool


class _NameClassifier:
    """Maps identifiers to tokens following the rules in the module docstring."""

    def __init__(self, module: cst.Module, children: _Children) -> None:
        self._children = children
        self.module_scope = _Scope(_module_bindings(module, children),
                                   _Namespace(vocab.GLOBAL_NAME_IDS, vocab.GLOBAL_OVERFLOW), is_function=False)

    def function_scope(self, function: cst.FunctionDef) -> _Scope:
        bindings = _function_bindings(function, self._children)
        return _Scope(bindings, _Namespace(vocab.LOCAL_NAME_IDS, vocab.LOCAL_OVERFLOW), is_function=True)

    def name(self, name: str, scope: _Scope) -> int:
        module = self.module_scope
        if scope.is_function:
            if name in scope.bindings.assigned:
                return scope.namespace.token(name)
            if name in scope.bindings.known_aliases:
                return vocab.KNOWN_NAME_IDS[scope.bindings.known_aliases[name]]
            if name in scope.bindings.imported:
                known = vocab.KNOWN_NAME_IDS.get(name)
                return known if known is not None else scope.namespace.token(name)
        if name in module.bindings.assigned:
            return module.namespace.token(name)
        if name in module.bindings.known_aliases:
            return vocab.KNOWN_NAME_IDS[module.bindings.known_aliases[name]]
        if name in vocab.KNOWN_NAME_IDS:
            return vocab.KNOWN_NAME_IDS[name]
        if name in module.bindings.imported:
            return module.namespace.token(name)
        return scope.namespace.token(name)

    def attribute(self, name: str, scope: _Scope) -> int:
        known = vocab.KNOWN_NAME_IDS.get(name)
        return known if known is not None else scope.namespace.token(name)

    @staticmethod
    def keyword(name: str) -> int:
        return vocab.KNOWN_NAME_IDS.get(name, vocab.KWARG)


# ---------------------------------------------------------------------------
# Literals.


def _int_token(node: cst.Integer) -> int:
    try:
        value = int(node.value, 0)
    except ValueError:  # not a valid Python 3 literal (e.g. built by hand)
        return vocab.UNK
    if value <= 2:
        return vocab.TOKEN_IDS[(vocab.INT_ZERO, vocab.INT_ONE, vocab.INT_TWO)[value]]
    if value <= 10:
        return vocab.TOKEN_IDS[vocab.INT_SMALL]
    return vocab.TOKEN_IDS[vocab.INT_MEDIUM if value <= vocab.MEDIUM_INT_MAX else vocab.INT_LARGE]


def _string_token(node: cst.SimpleString) -> int:
    if "b" in node.prefix.lower():
        return vocab.TOKEN_IDS[vocab.BYTES_TOKEN]
    try:
        length = len(node.evaluated_value)
    except (ValueError, SyntaxError, TypeError):
        length = max(len(node.raw_value), 2)
    if length <= 1:
        return vocab.TOKEN_IDS[vocab.STR_EMPTY if length == 0 else vocab.STR_CHAR]
    return vocab.TOKEN_IDS[vocab.STR_SHORT if length <= vocab.SHORT_STRING_MAX else vocab.STR_LONG]


_FIXED_LEAF_TOKENS = {
    "Float": vocab.TOKEN_IDS[vocab.FLOAT_TOKEN],
    "Imaginary": vocab.TOKEN_IDS[vocab.IMAGINARY_TOKEN],
    "FormattedStringText": vocab.TOKEN_IDS[vocab.FSTRING_TEXT_TOKEN],
    "TemplatedStringText": vocab.TOKEN_IDS[vocab.TSTRING_TEXT_TOKEN],
}


# ---------------------------------------------------------------------------
# Tokenization.


@dataclasses.dataclass(frozen=True, eq=False)
class TokenizedProgram:
    """A program as [L] arrays (read-only) plus the node-id <-> position maps."""

    tokens: np.ndarray  # [L] int32
    depth: np.ndarray  # [L] int32
    parent: np.ndarray  # [L] int32
    valid: np.ndarray  # [L] bool
    node_id: np.ndarray  # [L] int32, -1 on padding
    node_to_position: Mapping[int, int]
    num_tokens: int  # tokens before truncation
    num_nodes: int  # len(preorder(module))
    truncated: bool
    window_offset: int = 0  # position p >= 1 holds token p + window_offset of the whole stream

    @property
    def max_len(self) -> int:
        return int(self.tokens.shape[0])


def _node_token(node: cst.CSTNode, parent: cst.CSTNode | None, scope: _Scope, names: _NameClassifier) -> int | None:
    """The token for a node, or None for pure syntax that is skipped."""
    kind = type(node).__name__
    if kind in vocab.SKIPPED_NODE_TYPES:
        return None
    if isinstance(node, cst.Name):
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            return names.attribute(node.value, scope)
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return names.keyword(node.value)
        if isinstance(parent, cst.MatchKeywordElement) and parent.key is node:
            return names.keyword(node.value)
        return names.name(node.value, scope)
    if isinstance(node, cst.Integer):
        return _int_token(node)
    if isinstance(node, cst.SimpleString):
        return _string_token(node)
    fixed = _FIXED_LEAF_TOKENS.get(kind)
    if fixed is not None:
        return fixed
    return vocab.NODE_TYPE_IDS.get(kind, vocab.UNK)


def _window_offset(focus_index: int | None, raw_depth: Sequence[int], max_len: int) -> int:
    """How far the window of positions 1..max_len-1 is shifted along the token stream (0: the prefix).

    focus_index: the stream index of the focus function's `def` token (None: no focus)."""
    count, width = len(raw_depth), max_len - 1
    if focus_index is None or count <= max_len or width < 1:
        return 0
    end = focus_index + 1  # the function's tokens are [focus_index, end): its subtree in pre-order
    while end < count and raw_depth[end] > raw_depth[focus_index]:
        end += 1
    length = end - focus_index
    if length >= width:
        return focus_index - 1
    start = focus_index - (width - length) // 2
    return max(1, min(start, count - width)) - 1


def tokenize(module: cst.Module, max_len: int, max_depth: int = vocab.MAX_DEPTH,
             focus: str | None = None) -> TokenizedProgram:
    """Tokenizes a program into [max_len] arrays (see the module docstring).

    focus: the name of a top-level function to centre the window on when the program is longer than max_len."""
    if max_len < 1:
        raise ValueError(f"max_len must be positive, got {max_len}")
    if max_depth < 0:
        raise ValueError(f"max_depth must be non-negative, got {max_depth}")
    # The whole token stream first: token, unclipped depth, parent stream index and node id per token.
    stream_tokens: list[int] = []
    stream_depth: list[int] = []
    stream_parent: list[int] = []
    stream_node: list[int] = []

    children = _children_by_id(module)
    names = _NameClassifier(module, children)
    # Same traversal as program.preorder: pop a node, push its children reversed.
    # Entries: (node, syntactic parent, emitted parent index, emitted parent depth, scope).
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None, int, int, _Scope]] = [
        (module, None, -1, -1, names.module_scope)
    ]
    next_node_id = 0
    focus_index: int | None = None  # the last top-level `def focus` wins, as in Python
    while stack:
        node, syntactic_parent, parent_index, parent_depth, scope = stack.pop()
        current_id = next_node_id
        next_node_id += 1
        index, node_depth = parent_index, parent_depth
        token = _node_token(node, syntactic_parent, scope, names)
        if token is not None:
            index, node_depth = len(stream_tokens), parent_depth + 1
            if (focus is not None and syntactic_parent is module and isinstance(node, cst.FunctionDef)
                    and node.name.value == focus):
                focus_index = index
            stream_tokens.append(token)
            stream_depth.append(node_depth)
            stream_parent.append(parent_index)
            stream_node.append(current_id)
        # A top-level function opens a scope; its name and decorators belong to the enclosing one.
        inner = names.function_scope(node) if isinstance(node, cst.FunctionDef) and not scope.is_function else None
        for child in reversed(children[id(node)]):
            in_outer_scope = inner is None or isinstance(child, cst.Decorator) or child is node.name
            child_scope = scope if in_outer_scope else inner
            stack.append((child, node, index, node_depth, child_scope))

    num_tokens = len(stream_tokens)
    offset = _window_offset(focus_index, stream_depth, max_len)
    # Position 0 is the module (stream index 0); position p >= 1 holds stream index p + offset.
    kept = [0, *range(1 + offset, min(num_tokens, max_len + offset))]
    position_of = {index: position for position, index in enumerate(kept)}

    tokens = np.full(max_len, vocab.PAD, np.int32)
    depth = np.zeros(max_len, np.int32)
    parent = np.full(max_len, -1, np.int32)
    node_id = np.full(max_len, -1, np.int32)
    for position, index in enumerate(kept):
        tokens[position] = stream_tokens[index]
        depth[position] = min(stream_depth[index], max_depth)
        parent[position] = position_of.get(stream_parent[index], -1)  # -1: the module's, or cut off
        node_id[position] = stream_node[index]
    node_to_position = {int(node): position for position, node in enumerate(node_id[:len(kept)])}

    valid = tokens != vocab.PAD
    for array in (tokens, depth, parent, valid, node_id):
        array.flags.writeable = False
    return TokenizedProgram(
        tokens=tokens,
        depth=depth,
        parent=parent,
        valid=valid,
        node_id=node_id,
        node_to_position=types.MappingProxyType(node_to_position),
        num_tokens=num_tokens,
        num_nodes=next_node_id,
        truncated=num_tokens > max_len,
        window_offset=offset,
    )


def position_to_node(tokenized: TokenizedProgram, position: int) -> int:
    """The node id at a token position; raises IndexError for padding or out of range."""
    if not 0 <= position < tokenized.max_len or not tokenized.valid[position]:
        raise IndexError(f"position {position} holds no token")
    return int(tokenized.node_id[position])


def stack(tokenized_list: Sequence[TokenizedProgram]) -> dict[str, np.ndarray]:
    """Batches programs of one max_len into [B, L] arrays (tokens, depth, parent, valid)."""
    if not tokenized_list:
        raise ValueError("cannot stack an empty list of programs")
    lengths = {program.max_len for program in tokenized_list}
    if len(lengths) != 1:
        raise ValueError(f"programs have different max_len: {sorted(lengths)}")
    return {
        field: np.stack([getattr(program, field) for program in tokenized_list])
        for field in ("tokens", "depth", "parent", "valid")
    }


def describe(tokenized: TokenizedProgram) -> str:
    """The token stream, one token per line, indented by depth (for debugging)."""
    count = int(tokenized.valid.sum())
    header = f"{count} tokens"
    if tokenized.truncated:
        header += f" (truncated from {tokenized.num_tokens})"
    if tokenized.window_offset:
        header += f", positions 1.. are tokens {tokenized.window_offset + 1}.. of the program"
    lines = [header]
    for position in range(count):
        indent = "  " * int(tokenized.depth[position])
        name = vocab.token_name(int(tokenized.tokens[position]))
        lines.append(f"{position:5d} n{int(tokenized.node_id[position]):<6d}{indent}{name}")
    return "\n".join(lines)
