"""Programs as fixed-size integer arrays for the policy, plus the action mask.

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

The vocabulary is fixed in this file, not built from data, so ids are stable
and unseen code always tokenizes. Changing the lists below changes the ids.

Arrays (length `L = max_len`): `tokens` (int32, `<pad>` = 0 on padding),
`depth` (int32, depth in the tree of emitted tokens, the module is 0, a token
is one deeper than its parent, clipped to `max_depth`), `parent` (int32,
position of the nearest emitted ancestor, -1 for the module and for padding),
`valid` (bool) and `node_id` (int32, the node id at each position, -1 on
padding).

Truncation: a program with more than L tokens keeps the first L tokens of the
pre-order walk, so function headers and outer structure survive and every kept
token's parent is kept too. Nodes beyond L are absent from
`node_to_position`, so rewrite sites there are masked out.

Actions: `action_mask(module, tokenized, rules)` is a bool [L, R] array,
True at [p, r] iff rule r has a site at the node whose token is at position p.
STOP is one extra action that is always legal: the policy's flat logits are
[L * R + 1], index `p * R + r` for (position p, rule r) and index `L * R` for
STOP; `flat_action_mask` builds that mask and `decode_action` inverts it.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Protocol

import libcst as cst
import numpy as np

# ---------------------------------------------------------------------------
# Vocabulary (fixed; ids are positions in VOCABULARY).

PAD_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"
KWARG_TOKEN = "<kwarg>"
LOCAL_OVERFLOW_TOKEN = "<v:overflow>"
GLOBAL_OVERFLOW_TOKEN = "<g:overflow>"

NUM_LOCAL_NAMES = 64
NUM_GLOBAL_NAMES = 16
MAX_DEPTH = 63

SPECIAL_TOKENS = (PAD_TOKEN, UNK_TOKEN, KWARG_TOKEN, LOCAL_OVERFLOW_TOKEN, GLOBAL_OVERFLOW_TOKEN)

# libcst node classes that carry no information beyond their children.
SKIPPED_NODE_TYPES = frozenset(
    {
        "AssignEqual",
        "Colon",
        "Comma",
        "Comment",
        "Dot",
        "EmptyLine",
        "LeftCurlyBrace",
        "LeftParen",
        "LeftSquareBracket",
        "Newline",
        "ParenthesizedWhitespace",
        "RightCurlyBrace",
        "RightParen",
        "RightSquareBracket",
        "Semicolon",
        "SimpleWhitespace",
        "TrailingWhitespace",
    }
)

STRUCTURE_NODE_TYPES = (
    "Module",
    "SimpleStatementLine",
    "SimpleStatementSuite",
    "IndentedBlock",
    "FunctionDef",
    "ClassDef",
    "Decorator",
    "Parameters",
    "Param",
    "ParamStar",
    "ParamSlash",
    "Annotation",
    "Asynchronous",
    "If",
    "Else",
    "For",
    "While",
    "Try",
    "TryStar",
    "ExceptHandler",
    "ExceptStarHandler",
    "Finally",
    "With",
    "WithItem",
    "AsName",
    "Return",
    "Expr",
    "Assign",
    "AssignTarget",
    "AugAssign",
    "AnnAssign",
    "Pass",
    "Break",
    "Continue",
    "Raise",
    "Assert",
    "Del",
    "Global",
    "Nonlocal",
    "NameItem",
    "Import",
    "ImportFrom",
    "ImportAlias",
    "ImportStar",
    "LazyImport",
    "LazyImportFrom",
    "Match",
    "MatchCase",
    "MatchAs",
    "MatchClass",
    "MatchKeywordElement",
    "MatchList",
    "MatchMapping",
    "MatchMappingElement",
    "MatchOr",
    "MatchOrElement",
    "MatchSequenceElement",
    "MatchSingleton",
    "MatchStar",
    "MatchTuple",
    "MatchValue",
    "TypeAlias",
    "TypeParameters",
    "TypeParam",
    "TypeVar",
    "TypeVarTuple",
    "ParamSpec",
)

EXPRESSION_NODE_TYPES = (
    "Call",
    "Arg",
    "Attribute",
    "Subscript",
    "SubscriptElement",
    "Index",
    "Slice",
    "BinaryOperation",
    "UnaryOperation",
    "BooleanOperation",
    "Comparison",
    "ComparisonTarget",
    "IfExp",
    "Lambda",
    "NamedExpr",
    "Await",
    "Yield",
    "From",
    "Tuple",
    "List",
    "Set",
    "Dict",
    "Element",
    "StarredElement",
    "DictElement",
    "StarredDictElement",
    "ListComp",
    "SetComp",
    "DictComp",
    "StarredDictComp",
    "GeneratorExp",
    "CompFor",
    "CompIf",
    "Ellipsis",
    "ConcatenatedString",
    "FormattedString",
    "FormattedStringExpression",
    "TemplatedString",
    "TemplatedStringExpression",
)

OPERATOR_NODE_TYPES = (
    "Add",
    "Subtract",
    "Multiply",
    "Divide",
    "FloorDivide",
    "Modulo",
    "Power",
    "MatrixMultiply",
    "LeftShift",
    "RightShift",
    "BitAnd",
    "BitOr",
    "BitXor",
    "AddAssign",
    "SubtractAssign",
    "MultiplyAssign",
    "DivideAssign",
    "FloorDivideAssign",
    "ModuloAssign",
    "PowerAssign",
    "MatrixMultiplyAssign",
    "LeftShiftAssign",
    "RightShiftAssign",
    "BitAndAssign",
    "BitOrAssign",
    "BitXorAssign",
    "And",
    "Or",
    "Not",
    "Minus",
    "Plus",
    "BitInvert",
    "Equal",
    "NotEqual",
    "LessThan",
    "LessThanEqual",
    "GreaterThan",
    "GreaterThanEqual",
    "In",
    "NotIn",
    "Is",
    "IsNot",
)

INT_ZERO, INT_ONE, INT_TWO = "<int:0>", "<int:1>", "<int:2>"
INT_SMALL, INT_MEDIUM, INT_LARGE = "<int:3-10>", "<int:11-1000>", "<int:>1000>"
STR_EMPTY, STR_CHAR, STR_SHORT, STR_LONG = "<str:empty>", "<str:char>", "<str:2-16>", "<str:>16>"
BYTES_TOKEN, FLOAT_TOKEN, IMAGINARY_TOKEN = "<bytes>", "<float>", "<imaginary>"
FSTRING_TEXT_TOKEN, TSTRING_TEXT_TOKEN = "<fstring:text>", "<tstring:text>"

LITERAL_TOKENS = (
    INT_ZERO,
    INT_ONE,
    INT_TWO,
    INT_SMALL,
    INT_MEDIUM,
    INT_LARGE,
    STR_EMPTY,
    STR_CHAR,
    STR_SHORT,
    STR_LONG,
    BYTES_TOKEN,
    FLOAT_TOKEN,
    IMAGINARY_TOKEN,
    FSTRING_TEXT_TOKEN,
    TSTRING_TEXT_TOKEN,
)

SHORT_STRING_MAX = 16
MEDIUM_INT_MAX = 1000

LOCAL_NAME_TOKENS = tuple(f"v{i}" for i in range(NUM_LOCAL_NAMES))
GLOBAL_NAME_TOKENS = tuple(f"g{i}" for i in range(NUM_GLOBAL_NAMES))

BUILTIN_NAMES = (
    "True", "False", "None",
    "abs", "all", "any", "bin", "bool", "bytearray", "bytes", "callable", "chr",
    "dict", "divmod", "enumerate", "filter", "float", "format", "frozenset",
    "getattr", "hasattr", "hash", "hex", "id", "int", "isinstance", "issubclass",
    "iter", "len", "list", "map", "max", "min", "next", "object", "oct", "ord",
    "pow", "print", "range", "repr", "reversed", "round", "set", "setattr",
    "slice", "sorted", "str", "sum", "super", "tuple", "type", "zip",
    "Exception", "ValueError", "KeyError", "IndexError", "TypeError",
    "StopIteration", "ZeroDivisionError", "AttributeError", "RuntimeError",
    "NotImplementedError", "AssertionError", "staticmethod", "classmethod",
    "property",
)  # fmt: skip

LIBRARY_NAMES = (
    "math", "collections", "functools", "itertools", "operator", "heapq",
    "bisect", "re", "string", "statistics", "typing", "sys", "copy", "random",
    "array", "dataclasses",
    "Counter", "defaultdict", "deque", "OrderedDict", "namedtuple",
    "lru_cache", "cache", "reduce", "partial", "cmp_to_key",
    "accumulate", "chain", "from_iterable", "product", "permutations",
    "combinations", "groupby", "islice", "repeat", "zip_longest", "starmap",
    "itemgetter", "attrgetter",
    "heappush", "heappop", "heapify", "heappushpop", "heapreplace", "nlargest",
    "nsmallest", "bisect_left", "bisect_right", "insort",
    "sqrt", "isqrt", "floor", "ceil", "gcd", "lcm", "log", "log2", "exp",
    "prod", "fsum", "comb", "factorial", "inf", "pi", "fabs", "hypot",
    "mean", "median", "deepcopy",
    "compile", "match", "search", "findall", "finditer", "sub", "fullmatch",
    "setrecursionlimit", "maxsize", "ascii_lowercase", "ascii_uppercase",
    "digits", "punctuation",
)  # fmt: skip

ATTRIBUTE_NAMES = (
    "append", "extend", "insert", "pop", "remove", "clear", "index", "count",
    "sort", "reverse", "get", "setdefault", "keys", "values", "items",
    "update", "add", "discard", "union", "intersection", "difference",
    "symmetric_difference", "issubset", "issuperset", "isdisjoint",
    "join", "split", "rsplit", "splitlines", "strip", "lstrip", "rstrip",
    "lower", "upper", "casefold", "replace", "startswith", "endswith", "find",
    "rfind", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
    "title", "capitalize", "encode", "decode",
    "most_common", "popleft", "appendleft", "elements", "fromkeys",
    "real", "imag", "__init__",
)  # fmt: skip

KEYWORD_NAMES = (
    "key", "default", "start", "end", "sep", "maxlen", "initial",
    "strict", "typed", "fillvalue",
)  # fmt: skip

# `reverse`, `count`, `copy`, ... appear once: a name has one token whatever its role.
KNOWN_NAMES = BUILTIN_NAMES + LIBRARY_NAMES + ATTRIBUTE_NAMES + KEYWORD_NAMES
KNOWN_NAME_PREFIX = "name:"

VOCABULARY: tuple[str, ...] = (
    SPECIAL_TOKENS
    + STRUCTURE_NODE_TYPES
    + EXPRESSION_NODE_TYPES
    + OPERATOR_NODE_TYPES
    + LITERAL_TOKENS
    + LOCAL_NAME_TOKENS
    + GLOBAL_NAME_TOKENS
    + tuple(KNOWN_NAME_PREFIX + name for name in KNOWN_NAMES)
)
VOCAB_SIZE = len(VOCABULARY)
_TOKEN_IDS: dict[str, int] = {name: index for index, name in enumerate(VOCABULARY)}
if len(_TOKEN_IDS) != VOCAB_SIZE:
    raise AssertionError("duplicate entries in the token vocabulary")

PAD = _TOKEN_IDS[PAD_TOKEN]
UNK = _TOKEN_IDS[UNK_TOKEN]
KWARG = _TOKEN_IDS[KWARG_TOKEN]
LOCAL_OVERFLOW = _TOKEN_IDS[LOCAL_OVERFLOW_TOKEN]
GLOBAL_OVERFLOW = _TOKEN_IDS[GLOBAL_OVERFLOW_TOKEN]
_NODE_TYPE_IDS = {
    name: _TOKEN_IDS[name] for name in STRUCTURE_NODE_TYPES + EXPRESSION_NODE_TYPES + OPERATOR_NODE_TYPES
}
_KNOWN_NAME_IDS = {name: _TOKEN_IDS[KNOWN_NAME_PREFIX + name] for name in KNOWN_NAMES}
_LOCAL_NAME_IDS = tuple(_TOKEN_IDS[name] for name in LOCAL_NAME_TOKENS)
_GLOBAL_NAME_IDS = tuple(_TOKEN_IDS[name] for name in GLOBAL_NAME_TOKENS)


def token_id(name: str) -> int:
    """The id of a vocabulary entry (`"For"`, `"v0"`, `"name:len"`, `"<int:0>"`)."""
    return _TOKEN_IDS[name]


def token_name(token: int) -> str:
    """The vocabulary entry for a token id; raises ValueError outside [0, VOCAB_SIZE)."""
    if not 0 <= int(token) < VOCAB_SIZE:
        raise ValueError(f"token id {token} outside the vocabulary (size {VOCAB_SIZE})")
    return VOCABULARY[int(token)]


# ---------------------------------------------------------------------------
# Name binding analysis (which names a function or the module binds).


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


def _target_names(target: cst.CSTNode) -> Iterator[str]:
    """Names an assignment target binds (`a`, `a, *b`, `[a, (b, c)]`; not `a.x` or `a[i]`)."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


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
            assigned.update(_target_names(node.target))
        elif isinstance(node, cst.NamedExpr):
            assigned.update(_target_names(node.target))
        elif isinstance(node, (cst.WithItem, cst.ExceptHandler, cst.ExceptStarHandler)):
            alias = node.asname if isinstance(node, cst.WithItem) else node.name
            if alias is not None:
                assigned.update(_target_names(alias.name))
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
                bound = list(_target_names(alias.asname.name))
                bindings.imported.update(bound)
                if parts[-1] in _KNOWN_NAME_IDS:
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
        self.module_scope = _Scope(
            _module_bindings(module, children), _Namespace(_GLOBAL_NAME_IDS, GLOBAL_OVERFLOW), is_function=False
        )

    def function_scope(self, function: cst.FunctionDef) -> _Scope:
        bindings = _function_bindings(function, self._children)
        return _Scope(bindings, _Namespace(_LOCAL_NAME_IDS, LOCAL_OVERFLOW), is_function=True)

    def name(self, name: str, scope: _Scope) -> int:
        module = self.module_scope
        if scope.is_function:
            if name in scope.bindings.assigned:
                return scope.namespace.token(name)
            if name in scope.bindings.known_aliases:
                return _KNOWN_NAME_IDS[scope.bindings.known_aliases[name]]
            if name in scope.bindings.imported:
                known = _KNOWN_NAME_IDS.get(name)
                return known if known is not None else scope.namespace.token(name)
        if name in module.bindings.assigned:
            return module.namespace.token(name)
        if name in module.bindings.known_aliases:
            return _KNOWN_NAME_IDS[module.bindings.known_aliases[name]]
        if name in _KNOWN_NAME_IDS:
            return _KNOWN_NAME_IDS[name]
        if name in module.bindings.imported:
            return module.namespace.token(name)
        return scope.namespace.token(name)

    def attribute(self, name: str, scope: _Scope) -> int:
        known = _KNOWN_NAME_IDS.get(name)
        return known if known is not None else scope.namespace.token(name)

    @staticmethod
    def keyword(name: str) -> int:
        return _KNOWN_NAME_IDS.get(name, KWARG)


# ---------------------------------------------------------------------------
# Literals.


def _int_token(node: cst.Integer) -> int:
    try:
        value = int(node.value, 0)
    except ValueError:  # not a valid Python 3 literal (e.g. built by hand)
        return UNK
    if value <= 2:
        return _TOKEN_IDS[(INT_ZERO, INT_ONE, INT_TWO)[value]]
    if value <= 10:
        return _TOKEN_IDS[INT_SMALL]
    return _TOKEN_IDS[INT_MEDIUM if value <= MEDIUM_INT_MAX else INT_LARGE]


def _string_token(node: cst.SimpleString) -> int:
    if "b" in node.prefix.lower():
        return _TOKEN_IDS[BYTES_TOKEN]
    try:
        length = len(node.evaluated_value)
    except (ValueError, SyntaxError, TypeError):
        length = max(len(node.raw_value), 2)
    if length <= 1:
        return _TOKEN_IDS[STR_EMPTY if length == 0 else STR_CHAR]
    return _TOKEN_IDS[STR_SHORT if length <= SHORT_STRING_MAX else STR_LONG]


_FIXED_LEAF_TOKENS = {
    "Float": _TOKEN_IDS[FLOAT_TOKEN],
    "Imaginary": _TOKEN_IDS[IMAGINARY_TOKEN],
    "FormattedStringText": _TOKEN_IDS[FSTRING_TEXT_TOKEN],
    "TemplatedStringText": _TOKEN_IDS[TSTRING_TEXT_TOKEN],
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

    @property
    def max_len(self) -> int:
        return int(self.tokens.shape[0])


def _node_token(node: cst.CSTNode, parent: cst.CSTNode | None, scope: _Scope, names: _NameClassifier) -> int | None:
    """The token for a node, or None for pure syntax that is skipped."""
    kind = type(node).__name__
    if kind in SKIPPED_NODE_TYPES:
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
    return _NODE_TYPE_IDS.get(kind, UNK)


def tokenize(module: cst.Module, max_len: int, max_depth: int = MAX_DEPTH) -> TokenizedProgram:
    """Tokenizes a program into [max_len] arrays (see the module docstring)."""
    if max_len < 1:
        raise ValueError(f"max_len must be positive, got {max_len}")
    if max_depth < 0:
        raise ValueError(f"max_depth must be non-negative, got {max_depth}")
    tokens = np.full(max_len, PAD, np.int32)
    depth = np.zeros(max_len, np.int32)
    parent = np.full(max_len, -1, np.int32)
    node_id = np.full(max_len, -1, np.int32)
    node_to_position: dict[int, int] = {}

    children = _children_by_id(module)
    names = _NameClassifier(module, children)
    # Same traversal as program.preorder: pop a node, push its children reversed.
    # Entries: (node, syntactic parent, emitted parent position, emitted parent depth, scope).
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None, int, int, _Scope]] = [
        (module, None, -1, -1, names.module_scope)
    ]
    next_node_id = 0
    num_tokens = 0
    while stack:
        node, syntactic_parent, parent_position, parent_depth, scope = stack.pop()
        current_id = next_node_id
        next_node_id += 1
        position, node_depth = parent_position, parent_depth
        token = _node_token(node, syntactic_parent, scope, names)
        if token is not None:
            position, node_depth = num_tokens, parent_depth + 1
            num_tokens += 1
            if position < max_len:
                tokens[position] = token
                depth[position] = min(node_depth, max_depth)
                parent[position] = parent_position
                node_id[position] = current_id
                node_to_position[current_id] = position
        # A top-level function opens a scope; its name and decorators belong to the enclosing one.
        inner = names.function_scope(node) if isinstance(node, cst.FunctionDef) and not scope.is_function else None
        for child in reversed(children[id(node)]):
            in_outer_scope = inner is None or isinstance(child, cst.Decorator) or child is node.name
            child_scope = scope if in_outer_scope else inner
            stack.append((child, node, position, node_depth, child_scope))

    valid = tokens != PAD
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
    lines = [header]
    for position in range(count):
        indent = "  " * int(tokenized.depth[position])
        name = token_name(int(tokenized.tokens[position]))
        lines.append(f"{position:5d} n{int(tokenized.node_id[position]):<6d}{indent}{name}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Actions.

STOP = "stop"


class RuleLike(Protocol):
    """What action_mask needs from a rewrite rule."""

    name: str

    def sites(self, module: cst.Module) -> list[int]: ...


def action_mask(module: cst.Module, tokenized: TokenizedProgram, rules: Sequence[RuleLike]) -> np.ndarray:
    """Bool [L, R]: True at [p, r] iff rules[r] has a site whose node is at position p.

    Sites at skipped syntax nodes or beyond the truncation point stay False.
    Raises ValueError for a site id outside the program (module and tokenized
    do not belong together, or the rule is broken).
    """
    mask = np.zeros((tokenized.max_len, len(rules)), bool)
    for rule_index, rule in enumerate(rules):
        for site in rule.sites(module):
            if not 0 <= site < tokenized.num_nodes:
                raise ValueError(
                    f"rule {rule.name!r} returned node id {site}, but the program has {tokenized.num_nodes} nodes"
                )
            position = tokenized.node_to_position.get(site)
            if position is not None:
                mask[position, rule_index] = True
    return mask


def flat_action_mask(mask: np.ndarray) -> np.ndarray:
    """[..., L, R] -> [..., L * R + 1]: index p * R + r is (p, r), the last is STOP (always legal)."""
    *batch, length, num_rules = mask.shape
    flat = mask.reshape(*batch, length * num_rules).astype(bool)
    return np.concatenate([flat, np.ones((*batch, 1), bool)], axis=-1)


def stop_index(max_len: int, num_rules: int) -> int:
    """The flat index of STOP."""
    return max_len * num_rules


def encode_action(position: int, rule_index: int, max_len: int, num_rules: int) -> int:
    """The flat index of (position, rule_index)."""
    if not (0 <= position < max_len and 0 <= rule_index < num_rules):
        raise ValueError(f"action ({position}, {rule_index}) outside [{max_len}, {num_rules}]")
    return position * num_rules + rule_index


def decode_action(index: int, max_len: int, num_rules: int) -> str | tuple[int, int]:
    """A flat index -> STOP (the string "stop") or (position, rule_index)."""
    index = int(index)
    if index == stop_index(max_len, num_rules):
        return STOP
    if not 0 <= index < max_len * num_rules:
        raise ValueError(f"action index {index} outside [0, {max_len * num_rules}]")
    position, rule_index = divmod(index, num_rules)
    return position, rule_index
