"""Tests for the program tokenizer and the action mask."""

from __future__ import annotations

import dataclasses
import pathlib
import textwrap

import libcst as cst
import numpy as np
import pytest

from codeopt_jax import actions, tokens as tk, vocabulary as vocab
from codeopt_jax.program import parse_program, preorder

REPO = pathlib.Path(__file__).resolve().parents[1]


def _tokenize(source: str, max_len: int = 512, **kwargs) -> tuple[cst.Module, tk.TokenizedProgram]:
    module = parse_program(textwrap.dedent(source))
    return module, tk.tokenize(module, max_len, **kwargs)


def _names(tokenized: tk.TokenizedProgram) -> list[str]:
    return [vocab.token_name(t) for t in tokenized.tokens[tokenized.valid]]


@dataclasses.dataclass
class NodeTypeRule:
    """A fake rewrite rule whose sites are all nodes of one libcst type."""

    name: str
    node_type: type

    def sites(self, module: cst.Module) -> list[int]:
        return [i for i, node in enumerate(preorder(module)) if isinstance(node, self.node_type)]


@dataclasses.dataclass
class FixedSitesRule:
    name: str
    fixed_sites: list[int]

    def sites(self, module: cst.Module) -> list[int]:
        return list(self.fixed_sites)


SAMPLE = """
import math

def squares_of_evens(xs):
    result = []
    for x in xs:
        if x % 2 == 0:
            result.append(x * x)
    for i in range(len(xs)):
        result.append(math.sqrt(xs[i]))
    return result
"""


# ---------------------------------------------------------------------------
# Vocabulary.


def test_vocabulary_is_fixed_and_unique():
    assert vocab.PAD == 0 and vocab.UNK == 1
    assert vocab.VOCAB_SIZE == len(vocab.VOCABULARY) == 465
    assert len(set(vocab.VOCABULARY)) == vocab.VOCAB_SIZE
    for token in range(vocab.VOCAB_SIZE):
        assert vocab.token_id(vocab.token_name(token)) == token
    with pytest.raises(ValueError):
        vocab.token_name(vocab.VOCAB_SIZE)
    with pytest.raises(ValueError):
        vocab.token_name(-1)


def test_hand_checked_token_ids_for_a_tiny_snippet():
    _, tokenized = _tokenize("def f(xs):\n    return len(xs) + 1\n")
    assert _names(tokenized) == [
        "Module", "FunctionDef", "g0", "Parameters", "Param", "v0", "IndentedBlock",
        "SimpleStatementLine", "Return", "BinaryOperation", "Call", "name:len", "Arg", "v0",
        "Add", "<int:1>",
    ]  # fmt: skip
    # Literal ids: changing the vocabulary lists changes these and must be deliberate.
    assert tokenized.tokens[: tokenized.num_tokens].tolist() == [
        5, 9, 232, 12, 13, 168, 8, 6, 30, 79, 72, 276, 73, 168, 111, 154,
    ]  # fmt: skip


def test_every_libcst_node_class_has_a_decision():
    """Each concrete libcst node class is either skipped or has a token (never UNK)."""
    leaf_classes = {"Name", "Integer", "Float", "Imaginary", "SimpleString", "FormattedStringText",
                    "TemplatedStringText"}  # fmt: skip
    typed = set(vocab.STRUCTURE_NODE_TYPES + vocab.EXPRESSION_NODE_TYPES + vocab.OPERATOR_NODE_TYPES)
    for name, value in vars(cst).items():
        if isinstance(value, type) and issubclass(value, cst.CSTNode) and value.__module__.startswith("libcst._nodes"):
            if name.startswith("Base") or getattr(value, "__abstractmethods__", None):
                continue
            assert name in typed or name in vocab.SKIPPED_NODE_TYPES or name in leaf_classes, name


# ---------------------------------------------------------------------------
# Identifiers.


def test_functions_differing_only_in_names_tokenize_identically():
    first = """
    LIMIT = 3

    def helper(values):
        return [v for v in values if v > LIMIT]

    def target(items, factor):
        total = 0
        for item in helper(items):
            total += item * factor
            obj.weight = len(items)
        return sorted(helper(items), key=lambda pair: -pair), total
    """
    second = """
    CAP = 3

    def keep_big(data):
        return [d for d in data if d > CAP]

    def main(seq, scale):
        acc = 0
        for element in keep_big(seq):
            acc += element * scale
            thing.mass = len(seq)
        return sorted(keep_big(seq), key=lambda q: -q), acc
    """
    _, a = _tokenize(first)
    _, b = _tokenize(second)
    for field in ("tokens", "depth", "parent", "valid", "node_id"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    names = _names(a)
    for kept in ("name:len", "name:sorted", "name:key"):
        assert kept in names
    assert "g0" in names and "g1" in names and "g2" in names  # LIMIT, helper, target


def test_anonymous_names_restart_per_function_in_order_of_first_use():
    _, tokenized = _tokenize("""
    def first(a, b):
        return b + a

    def second(c):
        d = c
        return d
    """)
    names = [n for n in _names(tokenized) if n.startswith("v")]
    assert names == ["v0", "v1", "v1", "v0", "v0", "v1", "v0", "v1"]


def test_builtin_and_method_names_are_kept_unless_shadowed():
    _, tokenized = _tokenize("""
    from collections import Counter
    from functools import lru_cache as memo

    @memo(maxsize=None)
    def f(words):
        count = 0
        for word in words:
            count += words.count(word)
        return max(Counter(words).most_common(1)), count, sum, f(words, weight=2)
    """)
    names = _names(tokenized)
    # `count` is a local variable (anonymized) but `.count` is a method name (kept).
    assert names.count("name:count") == 1
    assert "name:lru_cache" in names and "name:Counter" in names and "name:most_common" in names
    assert "name:max" in names and "name:sum" in names
    assert names.count("name:maxsize") == 1
    assert names.count("<kwarg>") == 1  # weight= is not a known keyword


def test_imports_keep_known_names_and_anonymize_others():
    _, tokenized = _tokenize("""
    import numpy as np
    from bisect import bisect_left as find

    def f(xs, x):
        import math
        import heapq as hq
        from mylib import helper
        return math.sqrt(x), hq.heappop(xs), find(xs, x), helper(np.zeros(3))
    """)
    names = _names(tokenized)
    assert "name:math" in names and "name:sqrt" in names
    # An alias of a known name resolves to it: the imported name, the alias, the use.
    assert names.count("name:heapq") == 3
    assert names.count("name:bisect_left") == 3
    assert names.count("g0") == 1 and names.count("g1") == 2  # numpy, np (an unknown module)
    assert "name:np" not in names and "name:helper" not in names


def test_anonymous_names_overflow_past_the_cap():
    count = vocab.NUM_LOCAL_NAMES + 6
    body = "\n".join(f"    var_{i} = {i}" for i in range(count))
    _, tokenized = _tokenize(f"def f():\n{body}\n", max_len=2048)
    names = [n for n in _names(tokenized) if n.startswith("v") or n == vocab.LOCAL_OVERFLOW_TOKEN]
    assert names[: vocab.NUM_LOCAL_NAMES] == [f"v{i}" for i in range(vocab.NUM_LOCAL_NAMES)]
    assert names[vocab.NUM_LOCAL_NAMES:] == [vocab.LOCAL_OVERFLOW_TOKEN] * 6


def test_literals_are_bucketed():
    _, tokenized = _tokenize("""
    values = [0, 1, 2, 7, 500, 10**6, -3, 0x10, 1.5, 2j, '', 'a', 'abc', 'x' * 3, 'a' * 0, b'raw',
              'a long string literal here', None, True, False]
    """)  # fmt: skip
    names = [n for n in _names(tokenized) if n.startswith("<") or n.startswith("name:") or n == "Minus"]
    assert names == [
        "<int:0>", "<int:1>", "<int:2>", "<int:3-10>", "<int:11-1000>", "<int:3-10>", "<int:3-10>",
        "Minus", "<int:3-10>", "<int:11-1000>", "<float>", "<imaginary>", "<str:empty>", "<str:char>",
        "<str:2-16>", "<str:char>", "<int:3-10>", "<str:char>", "<int:0>", "<bytes>", "<str:>16>",
        "name:None", "name:True", "name:False",
    ]  # fmt: skip
    _, big = _tokenize("x = 123456\n")
    assert "<int:>1000>" in _names(big)


# ---------------------------------------------------------------------------
# Robustness.


UNUSUAL = """
import asyncio as aio
from os import *
counter = 0

@decorate(1)
class Shape(Base, metaclass=Meta):
    sides: int = 0

    def __init__(self, *args, key=None, **kwargs):
        global counter
        counter += 1
        self.key = key

    @property
    def area(self) -> float:
        return (lambda s: s * s)(self.sides)

async def fetch(urls, /, *, timeout=1.0):
    async with session() as s:
        async for url in urls:
            await s.get(url)
    return [x async for x in urls]

def misc(data):
    if (n := len(data)) > 10:
        print(f"{n!r:>10} items {data[0]=}")
    try:
        value = data[1:3:2]
    except (KeyError, IndexError) as err:
        raise ValueError("bad") from err
    else:
        pass
    finally:
        del data
    match value:
        case [first, *rest] if first:
            return {**rest}
        case {"k": v, **others}:
            return v
        case Point(x=0, y=yy) | None:
            return yy
        case _:
            return ...
    with open("f") as fh, lock:
        yield from fh
    while False:
        break
    else:
        continue_ = not data
    assert data is not None, "msg"
    return {k: v for k, v in data.items()}, {*data}, (yield), ~1, +2, 2 ** 3, a @ b, c >> 1
"""


def test_unusual_constructs_tokenize_without_error():
    module, tokenized = _tokenize(UNUSUAL, max_len=2048)
    names = _names(tokenized)
    assert not tokenized.truncated
    assert vocab.UNK not in tokenized.tokens
    for expected in ("Match", "MatchCase", "NamedExpr", "FormattedString", "Decorator", "ClassDef",
                     "Asynchronous", "Await", "Lambda", "Try", "ExceptHandler", "Global", "ImportStar",
                     "Yield", "From", "DictComp", "MatrixMultiply", "BitInvert", "Power", "IsNot"):  # fmt: skip
        assert expected in names, expected
    _check_structure(module, tokenized)


def test_unknown_node_class_maps_to_unk():
    class Mystery(cst.Pass):
        pass

    module = cst.Module(body=[cst.SimpleStatementLine(body=[Mystery()])])
    tokenized = tk.tokenize(module, 8)
    assert _names(tokenized) == ["Module", "SimpleStatementLine", vocab.UNK_TOKEN]


# ---------------------------------------------------------------------------
# Structure: alignment with node ids, parents, depth.


def _check_structure(module: cst.Module, tokenized: tk.TokenizedProgram, max_depth: int = vocab.MAX_DEPTH):
    """Node ids match preorder; parents are the nearest emitted ancestors; depth follows parents."""
    order = preorder(module)
    syntactic_parent: dict[int, int] = {}
    ids = {id(node): index for index, node in enumerate(order)}
    for index, node in enumerate(order):
        for child in node.children:
            syntactic_parent[ids[id(child)]] = index
    count = int(tokenized.valid.sum())
    assert count == min(tokenized.num_tokens, tokenized.max_len)
    assert tokenized.valid[:count].all() and not tokenized.valid[count:].any()
    assert (tokenized.tokens[count:] == vocab.PAD).all() and (tokenized.parent[count:] == -1).all()
    assert tokenized.num_nodes == len(order)
    raw_depth = []
    for position in range(count):
        node_id = int(tokenized.node_id[position])
        assert tokenized.node_to_position[node_id] == position
        assert tk.position_to_node(tokenized, position) == node_id
        node = order[node_id]
        name = vocab.token_name(int(tokenized.tokens[position]))
        if type(node).__name__ in vocab.NODE_TYPE_IDS:
            assert name == type(node).__name__
        assert type(node).__name__ not in vocab.SKIPPED_NODE_TYPES
        parent = int(tokenized.parent[position])
        if position == 0:
            assert parent == -1 and name == "Module"
            raw_depth.append(0)
            continue
        assert 0 <= parent < position
        ancestor = syntactic_parent[node_id]
        while ancestor not in tokenized.node_to_position:
            ancestor = syntactic_parent[ancestor]
        assert tokenized.node_to_position[ancestor] == parent
        raw_depth.append(raw_depth[parent] + 1)
        assert tokenized.depth[position] == min(raw_depth[-1], max_depth)
    assert sorted(tokenized.node_to_position.values()) == list(range(count))
    # Every non-skipped node before the cut has a position.
    emitted = [i for i, node in enumerate(order) if type(node).__name__ not in vocab.SKIPPED_NODE_TYPES]
    assert sorted(tokenized.node_to_position) == emitted[:count]


def test_structure_of_a_sample_program():
    module, tokenized = _tokenize(SAMPLE, max_len=128)
    _check_structure(module, tokenized)
    assert tokenized.depth[0] == 0
    for_positions = [p for p, n in enumerate(_names(tokenized)) if n == "For"]
    assert len(for_positions) == 2
    assert all(tokenized.depth[p] == 3 for p in for_positions)  # Module/FunctionDef/IndentedBlock/For


def test_depth_is_clipped():
    nested = "x = " + "(" * 30 + "-" * 30 + "1" + ")" * 30 + "\n"
    module, tokenized = _tokenize(nested, max_depth=5)
    _check_structure(module, tokenized, max_depth=5)
    assert tokenized.depth.max() == 5


def test_arrays_are_read_only():
    _, tokenized = _tokenize(SAMPLE)
    with pytest.raises(ValueError):
        tokenized.tokens[0] = 3
    with pytest.raises(TypeError):
        tokenized.node_to_position[0] = 1  # type: ignore[index]
    with pytest.raises(ValueError):
        tk.tokenize(parse_program(SAMPLE), 0)


# ---------------------------------------------------------------------------
# Truncation and the action mask.


def test_mask_lines_up_with_for_tokens():
    module, tokenized = _tokenize(SAMPLE, max_len=128)
    rules = [NodeTypeRule("for", cst.For), NodeTypeRule("call", cst.Call), NodeTypeRule("comma", cst.Comma)]
    mask = actions.action_mask(module, tokenized, rules)
    assert mask.shape == (128, 3) and mask.dtype == bool
    names = _names(tokenized) + [""] * (128 - tokenized.num_tokens)
    np.testing.assert_array_equal(mask[:, 0], [n == "For" for n in names])
    np.testing.assert_array_equal(mask[:, 1], [n == "Call" for n in names])
    assert not mask[:, 2].any()  # sites at skipped syntax cannot be chosen
    for position in np.flatnonzero(mask[:, 0]):
        assert isinstance(preorder(module)[tk.position_to_node(tokenized, position)], cst.For)


def test_mask_rejects_sites_outside_the_program():
    module, tokenized = _tokenize(SAMPLE)
    with pytest.raises(ValueError, match="node id"):
        actions.action_mask(module, tokenized, [FixedSitesRule("bad", [tokenized.num_nodes])])
    with pytest.raises(IndexError):
        tk.position_to_node(tokenized, tokenized.num_tokens)


def test_truncation_keeps_the_prefix_and_masks_late_sites():
    loops = "\n".join(f"    for i{k} in range(n):\n        total += i{k}" for k in range(40))
    source = f"def f(n):\n    total = 0\n{loops}\n    return total\n"
    module, full = _tokenize(source, max_len=4096)
    module, cut = _tokenize(source, max_len=64)
    assert cut.tokens.shape == cut.depth.shape == cut.parent.shape == cut.valid.shape == (64,)
    assert cut.truncated and not full.truncated
    assert cut.num_tokens == full.num_tokens > 64
    assert cut.valid.all()
    np.testing.assert_array_equal(cut.tokens, full.tokens[:64])
    np.testing.assert_array_equal(cut.parent, full.parent[:64])
    _check_structure(module, cut)

    rule = NodeTypeRule("for", cst.For)
    for_sites = rule.sites(module)
    mask = actions.action_mask(module, cut, [rule])
    kept = [s for s in for_sites if full.node_to_position[s] < 64]
    assert 0 < len(kept) < len(for_sites)
    assert mask.sum() == len(kept)
    assert all(s not in cut.node_to_position for s in for_sites if s not in kept)
    assert "truncated from" in tk.describe(cut)


def test_flat_mask_and_action_decoding():
    mask = np.zeros((4, 3), bool)
    mask[2, 1] = True
    flat = actions.flat_action_mask(mask)
    assert flat.shape == (13,)
    assert flat.nonzero()[0].tolist() == [7, 12]
    assert actions.decode_action(7, 4, 3) == actions.Action(stop=False, position=2, rule_index=1)
    assert actions.decode_action(12, 4, 3) == actions.STOP and actions.STOP.stop
    assert actions.stop_index(4, 3) == 12
    for index in range(12):
        action = actions.decode_action(index, 4, 3)
        assert not action.stop and actions.encode_action(action.position, action.rule_index, 4, 3) == index
    with pytest.raises(ValueError):
        actions.decode_action(13, 4, 3)
    with pytest.raises(ValueError):
        actions.encode_action(4, 0, 4, 3)
    batched = actions.flat_action_mask(np.stack([mask, ~mask]))
    assert batched.shape == (2, 13) and batched[:, -1].all() and batched[1].sum() == 12


def test_stack_batches_programs():
    _, a = _tokenize(SAMPLE, max_len=96)
    _, b = _tokenize("x = 1\n", max_len=96)
    batch = tk.stack([a, b])
    assert set(batch) == {"tokens", "depth", "parent", "valid"}
    assert all(array.shape == (2, 96) for array in batch.values())
    assert batch["tokens"].dtype == np.int32 and batch["valid"].dtype == bool
    np.testing.assert_array_equal(batch["tokens"][1], b.tokens)
    _, c = _tokenize("x = 1\n", max_len=32)
    with pytest.raises(ValueError):
        tk.stack([a, c])
    with pytest.raises(ValueError):
        tk.stack([])


def test_describe_indents_by_depth():
    _, tokenized = _tokenize("for x in y:\n    pass\n")
    lines = tk.describe(tokenized).splitlines()
    assert lines[0] == "7 tokens"
    assert lines[1].endswith(" Module") and lines[2].endswith("  For")
    assert lines[-1].endswith("      Pass")


# ---------------------------------------------------------------------------
# The corpus and the real rewrite rules.


def _corpus_programs() -> list[tuple[str, str]]:
    corpus = pytest.importorskip("codeopt_jax.corpus")
    problems, errors = corpus.load_corpus_report(REPO / "corpus")
    assert not errors, errors
    if not problems:
        pytest.skip("the corpus has no problems yet")
    programs = [(p.name, p.program) for p in problems]
    programs += [(p.name + ":reference", p.reference_program) for p in problems if p.reference_program]
    return programs


@pytest.mark.slow
def test_every_corpus_program_tokenizes():
    for name, source in _corpus_programs():
        module = parse_program(source)
        tokenized = tk.tokenize(module, 512)
        assert not tokenized.truncated, name
        assert vocab.UNK not in tokenized.tokens, name
        assert vocab.LOCAL_OVERFLOW not in tokenized.tokens, name
        _check_structure(module, tokenized)


class _RenameUnknownNames(cst.CSTTransformer):
    """Renames every identifier outside the known-name list, consistently and bijectively."""

    def __init__(self, tag: int):
        self._tag = tag
        self._names: dict[str, str] = {}

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        value = updated_node.value
        if value in vocab.KNOWN_NAMES:
            return updated_node
        fresh = self._names.setdefault(value, f"renamed_{self._tag}_{len(self._names)}")
        return updated_node.with_changes(value=fresh)


@pytest.mark.slow
def test_renaming_identifiers_in_corpus_programs_keeps_the_tokens():
    for index, (name, source) in enumerate(_corpus_programs()):
        module = parse_program(source)
        renamed = module.visit(_RenameUnknownNames(index))
        assert renamed.code != module.code, name
        a, b = tk.tokenize(module, 512), tk.tokenize(renamed, 512)
        for field in ("tokens", "depth", "parent", "node_id"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=f"{name}: {field}")


@pytest.mark.slow
def test_real_rules_sites_are_all_tokens():
    rewrites = pytest.importorskip("codeopt_jax.rewrites")
    rules = getattr(rewrites, "ALL_RULES", None)
    if rules is None:
        pytest.skip("codeopt_jax.rewrites defines no ALL_RULES yet")
    assert len(rules) > 0
    total_sites = 0
    for name, source in _corpus_programs():
        module = parse_program(source)
        tokenized = tk.tokenize(module, 512)
        mask = actions.action_mask(module, tokenized, rules)
        assert mask.shape == (512, len(rules))
        for rule_index, rule in enumerate(rules):
            sites = set(rule.sites(module))
            positions = {tokenized.node_to_position.get(site) for site in sites}
            assert None not in positions, f"{rule.name} anchors at a skipped node in {name}"
            assert set(np.flatnonzero(mask[:, rule_index]).tolist()) == positions
            total_sites += len(sites)
    assert total_sites > 0


# ---------------------------------------------------------------------------
# The window around a focus function (the problem's entry point).


def _helper(index: int) -> str:
    return f"def helper_{index}(xs):\n    acc = {index}\n    for x in xs:\n        acc += x * {index}\n    return acc\n"


TARGET = "def target(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"


def _module_with_helpers(before: int, after: int, target: str = TARGET) -> str:
    return "\n\n".join([_helper(i) for i in range(before)] + [target] + [_helper(before + i) for i in range(after)])


def _function_span(module: cst.Module, full: tk.TokenizedProgram, name: str) -> tuple[int, int]:
    """[first, end) positions of a top-level function's tokens in the whole-program tokenization."""
    order = preorder(module)
    ids = {id(node): index for index, node in enumerate(order)}
    function = next(node for node in module.body if isinstance(node, cst.FunctionDef) and node.name.value == name)
    first_id = ids[id(function)]
    subtree = range(first_id, first_id + len(preorder(function)))
    positions = [full.node_to_position[n] for n in subtree if n in full.node_to_position]
    assert positions == list(range(positions[0], positions[-1] + 1))
    return positions[0], positions[-1] + 1


def _check_window(window: tk.TokenizedProgram, full: tk.TokenizedProgram, max_depth: int = vocab.MAX_DEPTH):
    """Position 0 is the module, positions 1.. are consecutive whole-program tokens from window_offset + 1,
    with the same tokens, depths and node ids; parents are remapped, -1 when cut off."""
    count = int(window.valid.sum())
    assert count == window.max_len and window.truncated and window.num_tokens == full.num_tokens
    assert vocab.token_name(int(window.tokens[0])) == "Module" and window.node_id[0] == 0 and window.parent[0] == -1
    shown = [0, *range(window.window_offset + 1, window.window_offset + count)]
    np.testing.assert_array_equal(window.node_id, full.node_id[shown])
    np.testing.assert_array_equal(window.tokens, full.tokens[shown])
    np.testing.assert_array_equal(window.depth, np.minimum(full.depth[shown], max_depth))
    assert dict(window.node_to_position) == {int(n): p for p, n in enumerate(window.node_id)}
    for position in range(1, count):
        full_parent_node = int(full.node_id[full.parent[shown[position]]])
        assert window.parent[position] == window.node_to_position.get(full_parent_node, -1)


def test_window_is_centred_on_the_focus_function():
    source = _module_with_helpers(before=12, after=12)
    module, full = _tokenize(source, max_len=4096)
    _, prefix = _tokenize(source, max_len=64)
    _, window = _tokenize(source, max_len=64, focus="target")
    _check_window(window, full)
    first, end = _function_span(module, full, "target")
    assert prefix.window_offset == 0 and first >= 64  # the prefix does not reach the target
    assert window.window_offset > 0
    before = first - (window.window_offset + 1)
    after = (window.window_offset + 64) - end
    assert before > 0 and after > 0 and abs(before - after) <= 1
    assert (window.parent[1:] == -1).any()  # the first helper shown lost its def: its parent is cut off
    # Every target token is shown, so every rewrite site of the target can be offered.
    target_nodes = {int(n) for n in full.node_id[first:end]}
    assert target_nodes <= set(window.node_to_position)
    rule = NodeTypeRule("for", cst.For)
    mask = actions.action_mask(module, window, [rule])
    offered = {int(window.node_id[p]) for p in np.flatnonzero(mask[:, 0])}
    assert offered == {s for s in rule.sites(module) if s in window.node_to_position}
    assert offered & target_nodes and offered - target_nodes  # the target's loop and a neighbour's
    prefix_offered = {int(prefix.node_id[p]) for p in np.flatnonzero(actions.action_mask(module, prefix, [rule]))}
    assert prefix_offered and not prefix_offered & target_nodes


@pytest.mark.parametrize("before, after", [(0, 24), (24, 0)])
def test_window_is_clipped_to_the_program(before, after):
    source = _module_with_helpers(before, after)
    module, full = _tokenize(source, max_len=4096)
    _, window = _tokenize(source, max_len=64, focus="target")
    first, end = _function_span(module, full, "target")
    if before == 0:  # the target comes first: the window is the prefix
        assert window.window_offset == 0
        np.testing.assert_array_equal(window.tokens, full.tokens[:64])
    else:  # the target comes last: the window ends with the program
        _check_window(window, full)
        assert window.window_offset + 64 == full.num_tokens == end
        assert window.window_offset + 1 < first


def test_a_focus_longer_than_the_window_starts_at_its_def():
    loops = "\n".join(f"    for i{k} in range(n):\n        total += i{k}" for k in range(20))
    long_target = f"def target(n):\n    total = 0\n{loops}\n    return total\n"
    source = _module_with_helpers(before=6, after=6, target=long_target)
    module, full = _tokenize(source, max_len=4096)
    _, window = _tokenize(source, max_len=64, focus="target")
    _check_window(window, full)
    first, end = _function_span(module, full, "target")
    assert end - first > 64
    assert window.window_offset + 1 == first  # position 1 is the target's def
    assert vocab.token_name(int(window.tokens[1])) == "FunctionDef" and window.parent[1] == 0
    assert f"positions 1.. are tokens {first}.." in tk.describe(window)


@pytest.mark.slow
def test_focus_changes_nothing_when_the_program_fits_or_names_no_top_level_function():
    fields = ("tokens", "depth", "parent", "valid", "node_id")
    for source, focus, max_len in [(SAMPLE, "squares_of_evens", 128), (_module_with_helpers(12, 12), "nope", 64),
                                   (_module_with_helpers(12, 12), "x", 64)]:
        _, plain = _tokenize(source, max_len=max_len)
        _, focused = _tokenize(source, max_len=max_len, focus=focus)
        assert focused.window_offset == 0
        for field in fields:
            np.testing.assert_array_equal(getattr(plain, field), getattr(focused, field), err_msg=field)
    corpus = pytest.importorskip("codeopt_jax.corpus")
    problems, _ = corpus.load_corpus_report(REPO / "corpus")
    compared = 0
    for problem in problems:  # training on the corpus sees what it saw before
        for source in filter(None, (problem.program, problem.reference_program)):
            module = parse_program(source)
            for max_len in (160, 192):
                plain = tk.tokenize(module, max_len)
                focused = tk.tokenize(module, max_len, focus=problem.entry_point)
                if plain.truncated:
                    continue
                compared += 1
                for field in fields:
                    np.testing.assert_array_equal(getattr(plain, field), getattr(focused, field),
                                                  err_msg=f"{problem.name}: {field}")
    assert compared or not problems
