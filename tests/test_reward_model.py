"""The pairwise reward model: loss, calibration, labelling rules, learning, inference API."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from codeopt_jax.reward_model import calibration, dataset, evaluation
from codeopt_jax.reward_model.dataset import (VALID_VS_BROKEN, VALID_VS_VALID, LabelConfig, Pair, PairDataset,
                                              ScoredProgram)
from codeopt_jax.reward_model.losses import bradley_terry_loss
from codeopt_jax.reward_model.model import RewardModelConfig
from codeopt_jax.reward_model.scorer import RewardModelScorer
from codeopt_jax.reward_model.training import RewardModelTrainConfig, train_reward_model
from codeopt_jax.rewards import RewardConfig
from codeopt_jax.scoring.records import MATCH, MISMATCH, ScoreRecord, StaticMetrics

# ---------------------------------------------------------------------------
# Bradley–Terry loss.

SOFTPLUS_MINUS_2 = 0.12692801104297263  # log(1 + e^-2)
SOFTPLUS_1 = 1.3132616875182228         # log(1 + e)
SOFTPLUS_MINUS_1 = 0.31326168751822286  # log(1 + e^-1)


@pytest.mark.slow
def test_bradley_terry_loss_matches_hand_computed_values():
    a, b = jnp.array([2.0, 0.0]), jnp.array([0.0, 1.0])
    loss, metrics = bradley_terry_loss(a, b, jnp.array([1, 1]))
    assert float(loss) == pytest.approx((SOFTPLUS_MINUS_2 + SOFTPLUS_1) / 2, rel=1e-6)
    assert float(metrics["accuracy"]) == pytest.approx(0.5)
    assert float(metrics["margin"]) == pytest.approx(1.5)

    loss, metrics = bradley_terry_loss(a, b, jnp.array([1, 0]), weight=jnp.array([3.0, 1.0]))
    assert float(loss) == pytest.approx((3 * SOFTPLUS_MINUS_2 + SOFTPLUS_MINUS_1) / 4, rel=1e-6)
    assert float(metrics["accuracy"]) == pytest.approx(1.0)


@pytest.mark.slow
def test_bradley_terry_loss_ignores_zero_weight_pairs_and_is_symmetric():
    a, b = jnp.array([0.3, -5.0]), jnp.array([1.2, 7.0])
    loss, _ = bradley_terry_loss(a, b, jnp.array([1, 1]), weight=jnp.array([1.0, 0.0]))
    assert float(loss) == pytest.approx(math.log1p(math.exp(0.9)), rel=1e-6)
    swapped, _ = bradley_terry_loss(b[:1], a[:1], jnp.array([0]))
    assert float(swapped) == pytest.approx(float(loss), rel=1e-6)


# ---------------------------------------------------------------------------
# Calibration.


def test_reliability_and_ece_on_a_constructed_example():
    probs = np.array([0.05, 0.15, 0.15, 0.95, 0.95, 0.95, 0.95])
    labels = np.array([0, 1, 0, 1, 1, 1, 0])
    diagram = calibration.reliability(probs, labels, num_bins=10)
    # Bins: [0, .1): one 0.05 with label 0 -> gap 0.05; [.1, .2): two 0.15, half 1s -> gap 0.35;
    # [.9, 1]: four 0.95, three 1s -> gap 0.2.  ECE = (1 * 0.05 + 2 * 0.35 + 4 * 0.2) / 7.
    assert diagram.ece == pytest.approx(1.55 / 7)
    assert diagram.counts.tolist() == [1, 2, 0, 0, 0, 0, 0, 0, 0, 4]
    assert diagram.observed[1] == pytest.approx(0.5)
    assert diagram.mean_predicted[9] == pytest.approx(0.95)
    assert np.isnan(diagram.observed[5])
    assert calibration.expected_calibration_error(probs, labels, 10) == pytest.approx(1.55 / 7)


def test_reliability_bin_edges_and_perfect_calibration():
    diagram = calibration.reliability(np.array([0.0, 0.1, 1.0]), np.array([0, 0, 1]), num_bins=10)
    assert diagram.counts[0] == 1 and diagram.counts[1] == 1 and diagram.counts[9] == 1
    assert diagram.ece == pytest.approx(0.1 / 3)
    perfect = calibration.reliability(np.full(4, 0.25), np.array([1, 0, 0, 0]), num_bins=5)
    assert perfect.ece == pytest.approx(0.0)
    with pytest.raises(ValueError):
        calibration.reliability(np.array([1.5]), np.array([1]))


def test_fit_temperature_recovers_a_known_scale():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0.0, 2.0, size=20000)
    labels = (rng.random(20000) < calibration.sigmoid(true_logits)).astype(float)
    assert calibration.fit_temperature(3.0 * true_logits, labels) == pytest.approx(3.0, rel=0.1)


# ---------------------------------------------------------------------------
# Labelling rules.

ORIGINAL_STATIC = StaticMetrics(tokens=100, ast_nodes=50, complexity=3)


def _record(status="ok", differential=MATCH, speedup=None, low=None, high=None, cv=None, tokens=100):
    return ScoreRecord(status=status, differential=differential, speedup=speedup, speedup_low=low,
                       speedup_high=high, speedup_cv=cv, static=StaticMetrics(tokens, 50, 3))


def _program(name: str, record: ScoreRecord, origin: str = "bfs1") -> ScoredProgram:
    return ScoredProgram(uid=f"p#{name}", problem="p", split="train", family="f", origin=origin, rules=(),
                         source=f"x = '{name}'\n", record=record)


def _labels(pairs: list[Pair]) -> dict[frozenset, tuple[str, str]]:
    """{pair of names: (better, worse)}."""
    result = {}
    for pair in pairs:
        better, worse = (pair.a, pair.b) if pair.label == 1 else (pair.b, pair.a)
        result[frozenset((pair.a[2:], pair.b[2:]))] = (better[2:], worse[2:], pair.kind)
    return result


def test_labelling_rules_on_hand_made_records():
    original = _record(speedup=1.0, low=0.95, high=1.05)
    programs = [
        _program("original", original, "original"),
        _program("fast", _record(speedup=2.0, low=1.9, high=2.1)),
        _program("noisy", _record(speedup=1.1, low=0.9, high=1.3)),  # overlaps the original: tie
        _program("fails_tests", _record(status="test_failure", differential=MISMATCH)),
        _program("crashes", _record(status="exception")),
        _program("differs", _record(differential=MISMATCH, speedup=5.0, low=4.0, high=6.0)),  # ok, but differs
        _program("unmeasured", _record(speedup=None)),
    ]
    pairs, stats = dataset.label_pairs(programs, original, LabelConfig())
    labels = _labels(pairs)
    broken = ("fails_tests", "crashes", "differs")
    valid = ("original", "fast", "noisy")
    for b in broken:
        for v in valid:
            assert labels[frozenset((b, v))] == (v, b, VALID_VS_BROKEN)  # broken is always worse
        for other in broken:
            assert frozenset((b, other)) not in labels  # two broken programs are never paired
    assert labels[frozenset(("fast", "original"))] == ("fast", "original", VALID_VS_VALID)
    assert labels[frozenset(("fast", "noisy"))] == ("fast", "noisy", VALID_VS_VALID)
    assert frozenset(("noisy", "original")) not in labels  # within timing noise: dropped
    assert not any("unmeasured" in key for key in labels)
    assert stats.valid_vs_broken == 9 and stats.valid_vs_valid == 2
    assert stats.dropped_tie == 1 and stats.dropped_both_broken == 3
    assert stats.dropped_unmeasured == 6  # unmeasured against 3 valid and 3 broken programs
    for pair in pairs:  # delta is Φ_a − Φ_b and agrees with the label
        assert (pair.delta > 0) == (pair.label == 1)


def test_margin_and_cv_rules_drop_small_differences():
    original = _record(speedup=1.0, low=0.999, high=1.001)
    slightly = _program("slightly", _record(speedup=1.02, low=1.019, high=1.021))  # ΔΦ = log 1.02 < 0.05
    clearly = _program("clearly", _record(speedup=1.3, low=1.29, high=1.31, cv=0.2))
    programs = [_program("original", original, "original"), slightly, clearly]
    pairs, stats = dataset.label_pairs(programs, original, LabelConfig())
    assert frozenset(("slightly", "original")) not in _labels(pairs)
    assert len(pairs) == 2 and stats.dropped_tie == 1
    # cv_z: |ΔΦ| = log 1.3 ≈ 0.26 against 2 * hypot(0.2, 0) = 0.4 -> tie; slightly vs clearly too.
    pairs, stats = dataset.label_pairs(programs, original, LabelConfig(cv_z=2.0))
    assert pairs == [] and stats.dropped_tie == 3


def test_brevity_term_breaks_speed_ties_and_both_orders_occur():
    original = _record(speedup=1.0, low=0.99, high=1.01, tokens=100)
    shorter = [_program(f"short{i}", _record(speedup=1.0, low=0.99, high=1.01, tokens=40 + i)) for i in range(12)]
    reward = RewardConfig(speed_weight=1.0, opcount_weight=0.0, brevity_weight=0.1)
    pairs, _ = dataset.label_pairs([_program("original", original, "original")] + shorter, original,
                                   LabelConfig(reward=reward))
    against_original = [p for p in pairs if "p#original" in (p.a, p.b)]
    assert len(against_original) == 12  # 0.1 * log(100 / 51) > 0.05 + interval widths
    assert all(_labels([p]).popitem()[1][1] == "original" for p in against_original)
    assert {p.label for p in pairs} == {0, 1}  # pair order is random, so labels are not all 1


def test_generated_candidates_are_distinct_and_start_with_the_original(tiny_problem):
    from codeopt_jax.program import normalized_code

    config = dataset.BuildConfig(programs_per_problem=8, unsafe_fraction=0.4)
    candidates = dataset.generate_candidates(tiny_problem, config)
    assert candidates[0].origin == "original" and candidates[0].source == tiny_problem.program
    assert candidates[1].origin == "reference"
    assert 2 < len(candidates) <= 8
    assert len({normalized_code(c.source) for c in candidates}) == len(candidates)
    assert {c.origin for c in candidates} <= set(dataset.ORIGINS)
    assert any(c.origin == "mutant" for c in candidates)
    assert all(len(c.rules) >= 1 for c in candidates[2:])
    assert dataset.generate_candidates(tiny_problem, config) == candidates  # seeded


def test_dataset_files_round_trip(tmp_path):
    programs = [_program("original", _record(speedup=1.0, low=0.9, high=1.1), "original"),
                _program("crashes", _record(status="exception"))]
    pairs, stats = dataset.label_pairs(programs, programs[0].record, LabelConfig())
    dataset.write_dataset(tmp_path, programs, pairs, {"note": "test"})
    loaded = dataset.load_dataset(tmp_path)
    assert loaded.pairs == pairs and loaded.manifest == {"note": "test"}
    assert loaded.programs["p#original"].record.speedup_low == 0.9
    assert loaded.programs["p#original"].record.static == programs[0].record.static
    assert loaded.programs["p#crashes"].record.status == "exception"


def test_heuristics_abstain_on_ties_and_missing_metrics():
    programs = {p.uid: p for p in [
        _program("a", _record(speedup=1.0, tokens=10)),
        _program("b", _record(speedup=1.0, tokens=20)),
        _program("c", _record(status="exception", tokens=10)),
    ]}
    pairs = [Pair("p", "heldout", "p#a", "p#b", 1, VALID_VS_VALID, 0.1),
             Pair("p", "heldout", "p#b", "p#a", 1, VALID_VS_VALID, 0.1),
             Pair("p", "heldout", "p#a", "p#c", 1, VALID_VS_BROKEN, 2.0)]
    probs = evaluation.heuristic_probs(pairs, programs, evaluation.HEURISTICS["fewer_tokens"])
    assert probs.tolist() == [1.0, 0.0, 0.5]
    assert evaluation.pair_accuracy(probs, np.array([1, 1, 1])) == pytest.approx(1.5 / 3)
    op_counts = evaluation.heuristic_probs(pairs, programs, evaluation.HEURISTICS["lower_op_count"])
    assert op_counts.tolist() == [0.5, 0.5, 0.5]  # op counts were never measured


# ---------------------------------------------------------------------------
# Learning a synthetic preference end to end, and the inference API.


def _synthetic_program(rng: np.random.Generator, statements: int) -> str:
    """A function with `statements` body lines of assorted shapes."""
    shapes = ["    x = x + {c}\n", "    y = [x] * {c}\n", "    if x > {c}:\n        x = x - 1\n",
              "    total = sum(range({c}))\n"]
    body = "".join(shapes[int(rng.integers(len(shapes)))].format(c=int(rng.integers(1, 50)))
                   for _ in range(statements))
    return "def f(x):\n" + body + "    return x\n"


def _synthetic_dataset(seed: int) -> PairDataset:
    """Problems of 6 programs each; the one with fewer body statements is better."""
    rng = np.random.default_rng(seed)
    programs, pairs = {}, []
    for split, count in (("train", 10), ("heldout", 3)):
        for index in range(count):
            problem = f"{split}{index}"
            sizes = rng.choice(np.arange(1, 10), size=6, replace=False)
            members = []
            for size in sizes:
                uid = f"{problem}#{size}"
                record = ScoreRecord(status="ok", differential=MATCH, speedup=1.0, static=ORIGINAL_STATIC)
                programs[uid] = ScoredProgram(uid, problem, split, "synthetic", "bfs1", (),
                                              _synthetic_program(rng, int(size)), record)
                members.append((uid, int(size)))
            for i in range(len(members)):
                for j in range(i + 1, len(members)):
                    (a, size_a), (b, size_b) = members[i], members[j]
                    if rng.random() < 0.5:
                        (a, size_a), (b, size_b) = (b, size_b), (a, size_a)
                    pairs.append(Pair(problem, split, a, b, int(size_a < size_b), VALID_VS_VALID,
                                      float(size_b - size_a)))
    return PairDataset(programs=programs, pairs=pairs, manifest={})


@pytest.mark.slow
def test_reward_model_learns_a_synthetic_preference_and_loads_for_inference(tmp_path):
    data = _synthetic_dataset(0)
    config = RewardModelTrainConfig(model=RewardModelConfig(max_len=128, d_model=16, num_heads=2, num_layers=1, mlp_dim=32,
                                                 dropout=0.0, learning_rate=3e-3),
                         steps=80, batch_programs=24, val_fraction=0.2, eval_every=40, checkpoint_every=80)
    result = train_reward_model(data, config, tmp_path, log=None)
    held = result.summary["heldout"]["model"]
    assert held["pairs"] == 45 and result.summary["heldout"]["problems"] == 3
    assert held["accuracy"] >= 0.9
    for name in ("summary.json", "summary.md", "reliability.png", "metrics.jsonl", "reward_model.json"):
        assert (tmp_path / name).exists(), name

    scorer = RewardModelScorer.load(tmp_path)
    assert scorer.temperature == pytest.approx(result.temperature)
    rng = np.random.default_rng(123)
    short = [_synthetic_program(rng, 2) for _ in range(5)]
    long = [_synthetic_program(rng, 8) for _ in range(5)]
    probs = scorer.prob_better(short, long)
    assert probs.shape == (5,) and np.all(probs > 0.5)
    assert np.allclose(scorer.prob_better(long, short), 1.0 - probs, atol=1e-5)
    scores = scorer.scores(short + long)
    assert scores.shape == (10,) and scores.dtype == np.float32
    assert np.allclose(scores[:3], scorer.scores(short[:3]), atol=1e-5)  # batch size does not matter
    assert scorer.scores([]).shape == (0,)
