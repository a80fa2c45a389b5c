"""The fixed token vocabulary: node types, literal buckets, anonymous name slots and known names.

Ids are positions in `VOCABULARY`, fixed in this file and not built from data, so ids
are stable and unseen code always tokenizes; changing the lists below changes the ids.
How a program's nodes map to these tokens is `codeopt_jax.tokens`.
"""

from __future__ import annotations

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
TOKEN_IDS: dict[str, int] = {name: index for index, name in enumerate(VOCABULARY)}
if len(TOKEN_IDS) != VOCAB_SIZE:
    raise AssertionError("duplicate entries in the token vocabulary")

PAD = TOKEN_IDS[PAD_TOKEN]
UNK = TOKEN_IDS[UNK_TOKEN]
KWARG = TOKEN_IDS[KWARG_TOKEN]
LOCAL_OVERFLOW = TOKEN_IDS[LOCAL_OVERFLOW_TOKEN]
GLOBAL_OVERFLOW = TOKEN_IDS[GLOBAL_OVERFLOW_TOKEN]
NODE_TYPE_IDS = {
    name: TOKEN_IDS[name] for name in STRUCTURE_NODE_TYPES + EXPRESSION_NODE_TYPES + OPERATOR_NODE_TYPES
}
KNOWN_NAME_IDS = {name: TOKEN_IDS[KNOWN_NAME_PREFIX + name] for name in KNOWN_NAMES}
LOCAL_NAME_IDS = tuple(TOKEN_IDS[name] for name in LOCAL_NAME_TOKENS)
GLOBAL_NAME_IDS = tuple(TOKEN_IDS[name] for name in GLOBAL_NAME_TOKENS)


def token_id(name: str) -> int:
    """The id of a vocabulary entry (`"For"`, `"v0"`, `"name:len"`, `"<int:0>"`)."""
    return TOKEN_IDS[name]


def token_name(token: int) -> str:
    """The vocabulary entry for a token id; raises ValueError outside [0, VOCAB_SIZE)."""
    if not 0 <= int(token) < VOCAB_SIZE:
        raise ValueError(f"token id {token} outside the vocabulary (size {VOCAB_SIZE})")
    return VOCABULARY[int(token)]
