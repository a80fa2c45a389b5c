"""The batched environment: shapes, masks, reward telescoping, episode ends, gym wrapper."""

from __future__ import annotations

import numpy as np
import pytest

from codeopt_jax import moves
from codeopt_jax.corpus import parse_problem
from codeopt_jax.env import CodeOptEnv, EnvConfig, SingleEnv
from codeopt_jax.rewards import potential, reward_preset
from codeopt_jax.rewrites import ALL_RULES
from codeopt_jax.rewrites.base import Safety
from codeopt_jax.scoring import records

from tests.conftest import TINY_SOURCE
from tests.test_moves import long_program, owner_of, top_level_functions

REWARD = reward_preset("opcount")


def first_legal(mask_row: np.ndarray, prefer: str | None = None) -> int:
    legal = np.flatnonzero(mask_row[:-1])
    if prefer is not None:
        for action in legal:
            if ALL_RULES[action % len(ALL_RULES)].name == prefer:
                return int(action)
    return int(legal[0]) if legal.size else mask_row.shape[0] - 1


@pytest.fixture()
def env(service):
    with CodeOptEnv(EnvConfig(max_len=64, max_steps=3), REWARD, service) as environment:
        yield environment


def test_reset_shapes_and_mask(env, tiny_problem):
    timestep = env.reset([tiny_problem, tiny_problem])
    obs = timestep.observation
    assert obs["tokens"].shape == (2, 64) and obs["tokens"].dtype == np.int32
    assert obs["action_mask"].shape == (2, 64 * len(ALL_RULES) + 1)
    assert obs["action_mask"][:, -1].all()  # STOP always legal
    assert obs["action_mask"][:, :-1].any(axis=1).all()  # the loop can be rewritten
    assert not timestep.done.any() and (timestep.reward == 0).all()


def test_rewards_telescope_to_final_phi(env, tiny_problem):
    timestep = env.reset([tiny_problem])
    total = 0.0
    while not timestep.done.all():
        timestep = env.step(np.array([first_legal(timestep.observation["action_mask"][0], "sum_loop_to_sum")]))
        total += float(timestep.reward[0])
    info = timestep.info[0]
    assert total == pytest.approx(info.phi, abs=1e-6)
    assert info.phi == pytest.approx(potential(info.record, env.original_records[0], REWARD), abs=1e-6)
    assert info.phi > 0 and "sum_loop_to_sum" in info.rules


def test_stop_ends_episode_and_finished_slots_stay_finished(env, tiny_problem):
    timestep = env.reset([tiny_problem, tiny_problem])
    stop = env.stop_action
    timestep = env.step(np.array([stop, first_legal(timestep.observation["action_mask"][1])]))
    assert timestep.done[0] and timestep.reward[0] == 0
    mask = timestep.observation["action_mask"][0]
    assert mask[-1] and not mask[:-1].any()
    for _ in range(3):
        timestep = env.step(np.array([stop, first_legal(timestep.observation["action_mask"][1])]))
    assert timestep.done.all() and timestep.info[1].steps <= 3


def test_illegal_action_is_refused(env, tiny_problem):
    timestep = env.reset([tiny_problem])
    illegal = int(np.flatnonzero(~timestep.observation["action_mask"][0])[0])
    with pytest.raises(ValueError, match="illegal action"):
        env.step(np.array([illegal]))


def test_broken_program_is_penalized_and_ends_episode(service, tiny_problem):
    config = EnvConfig(max_len=64, max_steps=3, allow_unsafe=True)
    unsafe = {rule.name for rule in ALL_RULES if rule.safety == Safety.UNSAFE}
    with CodeOptEnv(config, REWARD, service) as environment:
        timestep = environment.reset([tiny_problem])
        mask = timestep.observation["action_mask"][0]
        unsafe_actions = [a for a in np.flatnonzero(mask[:-1]) if ALL_RULES[a % len(ALL_RULES)].name in unsafe]
        assert unsafe_actions
        outcomes = []
        for action in unsafe_actions:
            environment.reset([tiny_problem])
            step = environment.step(np.array([action]))
            outcomes.append((step.info[0].record.valid, float(step.reward[0]), bool(step.done[0])))
    broken = [o for o in outcomes if not o[0]]
    assert broken, "some unsafe mutation should break the tiny problem"
    assert all(reward == -REWARD.broken_penalty and done for _, reward, done in broken)


def test_unsafe_rules_are_masked_by_default(env, tiny_problem):
    allowed = moves.allowed_rules(allow_unsafe=False)
    assert not all(allowed) and any(allowed)
    timestep = env.reset([tiny_problem])
    rules = np.flatnonzero(timestep.observation["action_mask"][0][:-1]) % len(ALL_RULES)
    assert all(ALL_RULES[r].safety != Safety.UNSAFE for r in rules)


@pytest.mark.slow
def test_rewrite_worker_pool_matches_in_process(service, tiny_problem):
    results = []
    for workers in (0, 2):
        with CodeOptEnv(EnvConfig(max_len=64, max_steps=2, rewrite_workers=workers), REWARD, service) as environment:
            timestep = environment.reset([tiny_problem, tiny_problem])
            actions = np.array([first_legal(row) for row in timestep.observation["action_mask"]])
            timestep = environment.step(actions)
            results.append((timestep.observation["tokens"].copy(), timestep.reward.copy(),
                            [i.source for i in timestep.info]))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[0][2] == results[1][2]


def test_gym_style_wrapper(env, tiny_problem):
    single = SingleEnv(tiny_problem, env)
    obs, info = single.reset()
    assert obs["tokens"].shape == (64,) and info["problem"] == "tiny_total"
    obs, reward, terminated, truncated, info = single.step(env.stop_action)
    assert terminated and not truncated and reward == 0.0


class ShorterIsBetter:
    """A stand-in reward model: the score is minus the program length."""

    def scores(self, sources, max_len=None):
        return np.array([-len(s) / 100.0 for s in sources])


def test_screen_measures_top_k_and_return_stays_measured(service, tiny_problem):
    config = EnvConfig(max_len=64, max_steps=2, screen_top_k=1)
    with CodeOptEnv(config, REWARD, service, reward_model=ShorterIsBetter()) as environment:
        timestep = environment.reset([tiny_problem] * 3)
        totals = np.zeros(3)
        while not timestep.done.all():
            actions = [first_legal(row) for row in timestep.observation["action_mask"]]
            timestep = environment.step(np.array(actions))
            totals += timestep.reward
        stats = environment.model_stats
    assert stats["measured"] < stats["candidates"] or stats["candidates"] <= 1
    for total, info in zip(totals, timestep.info):
        assert info.verified  # every final program is measured
        assert total == pytest.approx(info.phi, abs=1e-6)


def test_model_weight_adds_the_learned_term(service, tiny_problem):
    reward = reward_preset("opcount", model_weight=0.5)
    with CodeOptEnv(EnvConfig(max_len=64, max_steps=1), reward, service, reward_model=ShorterIsBetter()) as environment:
        timestep = environment.reset([tiny_problem])
        timestep = environment.step(np.array([first_legal(timestep.observation["action_mask"][0], "sum_loop_to_sum")]))
    info = timestep.info[0]
    base = potential(info.record, environment.original_records[0], reward)
    model_term = 0.5 * (-len(info.source) + len(tiny_problem.program)) / 100.0
    assert info.phi == pytest.approx(base + model_term, abs=1e-6)
    with pytest.raises(ValueError, match="need a reward model"):
        CodeOptEnv(EnvConfig(), reward, service)


def test_model_disagreement_is_counted(service, tiny_problem):
    """The stand-in model prefers shorter programs; a longer-but-better rewrite is not 'preferred'."""
    with CodeOptEnv(EnvConfig(max_len=64, max_steps=1), REWARD, service, reward_model=ShorterIsBetter()) as environment:
        timestep = environment.reset([tiny_problem])
        environment.step(np.array([first_legal(timestep.observation["action_mask"][0], "sum_loop_to_sum")]))
        stats = dict(environment.model_stats)
    # sum_loop_to_sum makes the program shorter (preferred) and better when measured.
    assert stats["preferred"] == 1 and stats["preferred_but_worse"] == 0


def test_model_preferring_a_broken_program_is_flagged(service, tiny_problem):
    config = EnvConfig(max_len=64, max_steps=1, allow_unsafe=True)
    with CodeOptEnv(config, REWARD, service, reward_model=ShorterIsBetter()) as environment:
        timestep = environment.reset([tiny_problem])
        environment.step(np.array([first_legal(timestep.observation["action_mask"][0], "mutation_drop_statement")]))
        stats = dict(environment.model_stats)
    assert stats["preferred"] == 1 and stats["preferred_but_worse"] == 1


def test_a_long_program_is_seen_around_its_entry_point(service):
    program = long_program()
    head, _, tail = TINY_SOURCE.partition("def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n"
                                          "    return result\n")
    problem = parse_problem(head + program + tail, "long_total.py", "train")
    assert problem.program.strip() == program.strip() and problem.entry_point == "total"
    with CodeOptEnv(EnvConfig(max_len=64, max_steps=2), REWARD, service) as environment:
        timestep = environment.reset([problem])
        view = moves.view_program(problem.program, 64, environment.allowed, focus="total")
        assert view.window_offset > 0
        for key in ("tokens", "depth", "parent", "valid", "action_mask"):
            np.testing.assert_array_equal(timestep.observation[key][0], getattr(view, key), err_msg=key)
        action = next(int(a) for a in np.flatnonzero(view.action_mask[:-1])
                      if owner_of(problem.program, moves.decode(view, int(a)).node_id) == "total")
        timestep = environment.step(np.array([action]))
        source = timestep.info[0].source
        new_view = moves.view_program(source, 64, environment.allowed, focus="total")
        assert new_view.window_offset > 0 and not timestep.done[0]
        np.testing.assert_array_equal(timestep.observation["tokens"][0], new_view.tokens)
    before, after = top_level_functions(problem.program), top_level_functions(source)
    assert {name for name in before if before[name] != after.get(name)} == {"total"}


class _BusyOnce:
    """A scoring service whose first scoring of each original comes back as a timeout (a busy machine)."""

    def __init__(self, service, status: str):
        self.service, self.status, self.fresh_calls = service, status, 0
        self.busy: set[str] = set()

    def score_many(self, items, options, fresh=False):
        self.fresh_calls += fresh
        scored = self.service.score_many(items, options, fresh=fresh)
        for index, (problem, source) in enumerate(items):
            if source == problem.program and problem.name not in self.busy:
                self.busy.add(problem.name)
                scored[index] = records.failure(self.status, "the differential phase ran past its deadline")
        return scored


@pytest.mark.parametrize("status", [records.TIMEOUT, records.VOIDED])
def test_an_original_that_timed_out_once_is_measured_again(service, tiny_problem, status):
    busy = _BusyOnce(service, status)
    with CodeOptEnv(EnvConfig(max_len=64, max_steps=3), REWARD, busy) as env:
        timestep = env.reset([tiny_problem])
        assert env.original_records[0].valid and busy.fresh_calls == 1
        assert not timestep.done[0]


def test_an_original_that_fails_its_checks_still_stops_reset(service):
    failing = parse_problem(TINY_SOURCE.replace("    return result", "    return result + 1"), "bad.py", "train")
    with CodeOptEnv(EnvConfig(max_len=64, max_steps=3), REWARD, service) as env:
        with pytest.raises(ValueError, match="bad.py: the original program fails its own checks"):
            env.reset([failing])
