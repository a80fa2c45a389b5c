"""Random conditions and value expressions over an item's `View`, each with a phrase for docstrings."""

from __future__ import annotations

import dataclasses
import random

from codeopt_jax.generator.kinds import View


@dataclasses.dataclass(frozen=True)
class Expr:
    """Source text of an expression and a short English phrase for it."""

    text: str
    phrase: str


def _threshold(rng: random.Random, lo: float, hi: float, is_float: bool) -> float | int:
    value = lo + (hi - lo) * rng.uniform(0.2, 0.8)
    return round(value, 1) if is_float else int(round(value))


def condition(view: View, rng: random.Random, methods: bool = True) -> Expr:
    """A condition on an item, on its number, its amount or its key (`methods`: str method tests too)."""
    lo, hi = view.num_range
    t = _threshold(rng, lo, hi, view.num_is_float)
    num = view.num
    options = [Expr(f"{num} > {t}", f"above {t}"), Expr(f"{num} >= {t}", f"at least {t}"),
               Expr(f"{num} < {t}", f"below {t}"), Expr(f"{num} != 0", "nonzero")]
    if not view.num_is_float:
        k = rng.choice((2, 3, 4, 5, 7))
        options += [Expr(f"{num} % {k} == 0", f"divisible by {k}"), Expr(f"{num} % 2 == 1", "odd"),
                    Expr(f"abs({num}) <= {abs(t)}", f"within {abs(t)} of zero")]
        low, high = sorted((int(lo + (hi - lo) * rng.uniform(0.1, 0.45)), int(lo + (hi - lo) * rng.uniform(0.55, 0.9))))
        options.append(Expr(f"{low} <= {num} <= {high}", f"between {low} and {high}"))
    if view.amt is not None and view.amt != num:
        a = _threshold(rng, *view.amt_range, True)
        options += [Expr(f"{view.amt} > {a}", f"over {a}"), Expr(f"{view.amt} <= {a}", f"at most {a}")]
    if view.key_is_str:
        digit = rng.randint(1, 9)
        options += [Expr(f'{view.key} != "{view.key_prefix}{rng.randint(0, 5)}"', "except one key"),
                    Expr(f'"{digit}" in {view.key}', f"with a {digit} in the key")]
        if methods:
            options.append(Expr(f'{view.key}.endswith("{digit}")', f"with a key ending in {digit}"))
        if view.key_prefix and methods:
            options.append(Expr(f'{view.key}.startswith("{view.key_prefix}{digit}")',
                                f"with keys starting {view.key_prefix}{digit}"))
    return rng.choice(options)


def value(view: View, rng: random.Random) -> Expr:
    """A value computed from an item (a number, a rounded float, a key, a pair)."""
    num = view.num
    lo, hi = view.num_range
    k = rng.choice((2, 3, 4, 5, 10))
    options = [Expr(f"{num} * {k}", f"times {k}"), Expr(f"abs({num})", "absolute values"),
               Expr(f"{num} - {_threshold(rng, lo, hi, view.num_is_float)}", "offsets"),
               Expr(f"max({num}, 0)", "clipped at zero")]
    if not view.num_is_float:
        options += [Expr(f"{num} // {k}", f"divided by {k}"), Expr(f"{num} % {k}", f"modulo {k}"),
                    Expr(f"{num} * {num}", "squares")]
        if num.isidentifier():
            options.append(Expr(f"{num} ** 2", "squares"))
    else:
        options.append(Expr(f"round({num} * {k}, 2)", f"times {k}"))
    if view.amt is not None and view.amt != num:
        options += [Expr(f"round({num} * {view.amt}, 2)", f"{'totals'}"), Expr(f"round({view.amt}, 1)", "amounts")]
    if view.key_is_str:
        options += [Expr(f"{view.key}.upper()", "keys in upper case"), Expr(f"({view.key}, {num})", "key pairs")]
    return rng.choice(options)


def number(view: View, rng: random.Random) -> Expr:
    """A number computed from an item (what sums and maxima run over)."""
    options = [Expr(view.num, "values"), Expr(view.num, "values")]
    if view.amt is not None and view.amt != view.num:
        options += [Expr(view.amt, "amounts"), Expr(f"{view.num} * {view.amt}", "totals")]
    if not view.num_is_float:
        options.append(Expr(f"abs({view.num})", "absolute values"))
    return rng.choice(options)
