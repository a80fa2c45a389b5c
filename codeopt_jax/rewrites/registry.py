"""The rule registry: the ordered rule list, applying a rule by name, every legal (site, rule) action.

The list's order is the RL action space: append new rules, never reorder."""

from __future__ import annotations

import libcst as cst

from codeopt_jax.program import ProgramError, parse_program
from codeopt_jax.rewrites import (arithmetic, charmaps, choices, cleanup, copies, counting, hoisting, indexing, lookups,
                                  loops, memo, mutations, ordered, recursion, reductions, repeated, sequences, strings)
from codeopt_jax.rewrites.base import RewriteError, Rule
from codeopt_jax.rewrites.context import context_for

ALL_RULES: tuple[Rule, ...] = (
    # loops
    loops.AppendLoopToListComp(),
    loops.FilteredAppendLoopToListComp(),
    loops.SetAddLoopToSetComp(),
    loops.DictLoopToDictComp(),
    loops.RangeLenToDirectIteration(),
    loops.RangeLenToEnumerate(),
    loops.RangeMinLenToZip(),
    loops.RangeLenToZipAssumingEqualLength(),
    loops.WhileIndexToFor(),
    # reductions
    reductions.SumLoopToSum(),
    reductions.MinMaxLoopToBuiltin(),
    reductions.ReturnLoopToAnyAll(),
    reductions.FlagLoopToAnyAll(),
    reductions.SearchLoopToAny(),
    reductions.SearchLoopToNext(),
    reductions.ListCompToGeneratorInReducer(),
    reductions.GeneratorToListCompInReducer(),
    reductions.ShortCircuitAnyAll(),
    # strings
    strings.StringConcatLoopToJoin(),
    # lookups
    lookups.ListMembershipToSet(),
    lookups.MembershipListToSet(),
    lookups.LiteralListMembershipToSet(),
    # counting and grouping
    counting.ManualCountToGet(),
    counting.GroupingToSetdefault(),
    counting.CountingLoopToCounter(),
    counting.DropDictKeys(),
    # hoisting and reuse
    hoisting.HoistLoopInvariant(),
    hoisting.AliasBoundMethod(),
    hoisting.AliasModuleAttribute(),
    hoisting.ReuseRepeatedCall(),
    # memoization
    memo.MemoizeRecursiveFunction(),
    # cleanups
    cleanup.SortedFirstToMin(),
    cleanup.SortedLastToMax(),
    cleanup.SortedLocalToMinMax(),
    cleanup.SquareToMultiply(),
    cleanup.DeadCodeAfterExit(),
    cleanup.InlineReturnTemp(),
    cleanup.InlineSingleUseTemp(),
    # copies
    copies.DropRedundantConversion(),
    copies.DropCopyInLoop(),
    copies.DropCopyOfFreshList(),
    copies.DropCopyOfReadOnlyLocal(),
    # deliberately unsafe mutations
    mutations.DropStatement(),
    mutations.FlipComparison(),
    mutations.RangeStopOffByOne(),
    mutations.SwapAddSubtract(),
    # added after the first release of the list
    strings.SeparatorConcatLoopToJoin(),
    loops.SplitAccumulationLoop(),
    strings.StartswithToSlice(),
    loops.FlagToForElse(),
    # recursion: per-call memo and bottom-up tables (issue 12)
    recursion.MemoizePerCall(),
    recursion.MemoizePerCallGuarded(),
    recursion.RecursionToTable(),
    # repeated work and arithmetic (issue 12)
    repeated.HoistReductionOfWalkedCollection(),
    repeated.FlagLoopAddBreak(),
    repeated.LastMatchScanFromEnd(),
    arithmetic.RangeAccumulationClosedForm(),
    arithmetic.DivisorLoopToIsqrtBound(),
    # strings and sequences (issue 12)
    charmaps.CharLoopToTranslate(),
    charmaps.CharLoopToTranslateGuarded(),
    charmaps.CharJoinToTranslate(),
    charmaps.CharJoinToTranslateGuarded(),
    charmaps.ReplaceChainToTranslate(),
    charmaps.ReplaceChainToTranslateGuarded(),
    sequences.ListQueueToDeque(),
    ordered.SortedPrefixToHeap(),
    ordered.SortedPrefixToHeapGuarded(),
    ordered.SortedCountToBisect(),
    ordered.SortedMembershipToBisect(),
    ordered.SortedScanToBisect(),
    sequences.SliceIterationToIslice(),
    sequences.SlicedStartswithToOffset(),
    sequences.AppendLoopToExtend(),
    sequences.ClampToConditional(),
    sequences.TakeUntilLoopToIndexGuarded(),
    # membership and search: dict/set indexes (issue 12)
    indexing.NestedLoopJoinToIndex(),
    indexing.NestedLoopJoinToIndexGuarded(),
    indexing.IndexInLoopToPositions(),
    indexing.CountInLoopToCounter(),
    indexing.DedupeListCompanionSet(),
    indexing.DedupeLoopToDictFromkeys(),
    indexing.ListMembershipToSetGuarded(),
    indexing.IndexInLoopToPositionsGuarded(),
    indexing.CountInLoopToCounterGuarded(),
    # data-dependent choices (issue 12)
    choices.ListCompToMap(),
    choices.MapToListComp(),
    choices.CountLoopToCountMethod(),
    choices.CountLoopToCountMethodGuarded(),
    choices.MembershipTestToSetOnce(),
    choices.InTestToTryExcept(),
    # exact hoisting of expressions that may raise (issue 12 soundness)
    hoisting.HoistLoopInvariantGuarded(),
)

_INDEX = {rule.name: index for index, rule in enumerate(ALL_RULES)}
if len(_INDEX) != len(ALL_RULES):
    raise RuntimeError("rule names must be unique")


def rule_index(name: str) -> int:
    """The rule's id in the action space; KeyError for an unknown name."""
    try:
        return _INDEX[name]
    except KeyError:
        raise KeyError(f"unknown rewrite rule {name!r} ({len(ALL_RULES)} rules; "
                       f"`python -m launch.list_rewrites` lists them)") from None


def rule_by_name(name: str) -> Rule:
    """The rule with this name; KeyError (with a short message) for an unknown name."""
    return ALL_RULES[rule_index(name)]


def apply_rewrite(source: str, rule_name: str, site: int) -> str:
    """The program source rewritten by one rule at one node id.

    Raises RewriteError when the source does not parse, the rule does not apply at
    the site, or (a bug) the result does not compile.
    """
    rule = rule_by_name(rule_name)
    try:
        module = parse_program(source)
    except ProgramError as exc:
        raise RewriteError(str(exc)) from None
    code = rule.apply(module, site).code
    try:
        compile(code, "<candidate>", "exec")
    except (SyntaxError, ValueError, RecursionError) as exc:
        raise RewriteError(f"{rule_name} at node {site} produced code that does not compile: {exc}") from None
    return code


def legal_actions(module: cst.Module) -> list[tuple[int, int]]:
    """Every (site node id, rule index) pair where a rule applies, sorted."""
    ctx = context_for(module)
    actions = [(site, index) for index, rule in enumerate(ALL_RULES) for site in rule.sites_in(ctx)]
    actions.sort()
    return actions
