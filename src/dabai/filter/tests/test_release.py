"""The release rule: a candidate replaces the active model unless it is worse on a headline figure, judged on
the same held-out messages by a paired test (or by falling below a target), never by one message's noise."""

from __future__ import annotations

import numpy as np

from dabai.filter import corpus
from dabai.filter.release import Judged, Outcome, binomial_tail, bootstrap_f1, compare, regressions

TARGETS = corpus.targets()


def rate(right: int, n: int, *, first_wrong: int = 0) -> Outcome:
    """*right* of *n* messages right; the wrong ones start at message *first_wrong* (to pick which)."""
    arr = np.ones(n, dtype=bool)
    arr[first_wrong : first_wrong + n - right] = False
    return Outcome("rate", right=arr)


def f1(gold: list[bool], said: list[bool]) -> Outcome:
    return Outcome("f1", gold=np.array(gold, dtype=bool), said=np.array(said, dtype=bool))


def judged(**outcomes: Outcome) -> Judged:
    return Judged({}, {key.replace("__", "."): o for key, o in outcomes.items()})


def test_a_candidate_that_loses_many_messages_on_one_figure_is_refused() -> None:
    # intent on 1,000 real turns: 700 right before, 660 after (the candidate loses 40 it read right)
    active = judged(real_turns__intent=rate(700, 1000), real_turns__sentiment=rate(890, 1000))
    candidate = judged(real_turns__intent=rate(660, 1000), real_turns__sentiment=rate(895, 1000))

    worse = regressions(compare(candidate, active, TARGETS))

    assert [c.figure for c in worse] == ["real_turns.intent"]
    assert worse[0].verdict == "worse" and worse[0].p_value < 0.001
    figure, after, before, why, *_ = worse[0].as_row()
    assert (figure, after, before) == ("real_turns.intent", 0.66, 0.7)
    assert "significant" in why and "0.660 < 0.700" in why


def test_one_message_of_a_two_positive_f1_is_reported_but_does_not_refuse() -> None:
    # the shipped model's case: 2 escalations among 1,145 real turns; the candidate misses one more
    gold = [True, True] + [False] * 1143
    active = judged(real_turns__escalation_f1=f1(gold, [True, False, True] + [False] * 1142))
    candidate = judged(real_turns__escalation_f1=f1(gold, [False, False, True, True] + [False] * 1141))

    found = compare(candidate, active, TARGETS)

    assert found[0].candidate < found[0].active  # lower, and said so
    assert found[0].verdict == "too few to decide" and "on 2 positives" in found[0].detail
    assert regressions(found) == []


def test_one_message_lost_on_a_large_set_is_no_regression() -> None:
    active = judged(free_written__voice=rate(900, 1050))
    candidate = judged(free_written__voice=rate(899, 1050, first_wrong=1))  # lost 1, won 0

    found = compare(candidate, active, TARGETS)

    assert found[0].verdict == "worse, not significant" and not found[0].decides


def test_a_candidate_falling_below_a_target_is_refused_even_by_a_small_step() -> None:
    # plain questions neutral 0.951 -> 0.949 on 1,000: two messages, far from significant, but the target 0.95
    active = judged(free_written__plain_questions_neutral=rate(951, 1000))
    candidate = judged(free_written__plain_questions_neutral=rate(949, 1000))

    worse = regressions(compare(candidate, active, TARGETS))

    assert [c.verdict for c in worse] == ["below target"]
    assert worse[0].p_value > 0.05 and "target 0.95" in worse[0].detail


def test_a_clearly_better_model_is_accepted() -> None:
    gold = [True] * 60 + [False] * 940
    active = judged(
        free_written__intent=rate(700, 1000),
        free_written__escalation_f1=f1(gold, [True] * 45 + [False] * 15 + [True] * 10 + [False] * 930),
        reviews__sentiment_binary=rate(3200, 3513),
    )
    candidate = judged(
        free_written__intent=rate(760, 1000),
        free_written__escalation_f1=f1(gold, [True] * 55 + [False] * 5 + [True] * 4 + [False] * 936),
        reviews__sentiment_binary=rate(3260, 3513),
    )

    found = compare(candidate, active, TARGETS)

    assert {c.verdict for c in found} == {"better"}
    assert regressions(found) == []


def test_a_significant_f1_drop_on_enough_positives_is_refused() -> None:
    gold = [True] * 60 + [False] * 940
    active = judged(free_written__spam_f1=f1(gold, [True] * 56 + [False] * 4 + [True] * 3 + [False] * 937))
    candidate = judged(
        free_written__spam_f1=f1(gold, [True] * 40 + [False] * 20 + [True] * 12 + [False] * 928)
    )

    worse = regressions(compare(candidate, active, TARGETS))

    assert [c.figure for c in worse] == ["free_written.spam_f1"]
    assert worse[0].p_value < 0.05


def test_a_figure_the_candidate_was_not_measured_on_refuses_it() -> None:
    active = judged(real_turns__intent=rate(700, 1000), free_written__intent=rate(700, 1000))
    candidate = judged(real_turns__intent=rate(700, 1000))
    assert [c.figure for c in regressions(compare(candidate, active, TARGETS))] == ["free_written.intent"]


def test_the_tests_are_exact_and_deterministic() -> None:
    assert binomial_tail(0, 0) == 1.0
    assert binomial_tail(1, 1) == 0.5
    assert binomial_tail(5, 5) == 1 / 32
    assert abs(binomial_tail(60, 100) - 0.02844) < 1e-4  # P(X >= 60), X ~ Bin(100, 1/2)
    gold = [True] * 40 + [False] * 160
    a, b = f1(gold, [True] * 38 + [False] * 162), f1(gold, [True] * 30 + [False] * 170)
    assert bootstrap_f1(b, a) == bootstrap_f1(b, a) < 0.05
    assert bootstrap_f1(a, a) == 1.0  # the same predictions are never worse


def test_judging_a_model_keeps_per_message_outcomes_that_give_the_reported_figures() -> None:
    from dabai.filter import load_model

    sets = {name: rows[:150] for name, rows in corpus.heldout_sets().items()}
    judged_model = corpus.judge(load_model(), sets)

    assert judged_model.headline == corpus.headline(judged_model.metrics)
    assert "reviews.sentiment_binary" in judged_model.outcomes
    same = corpus.comparisons(judged_model, judged_model)
    assert {c.verdict for c in same} == {"same"} and corpus.regressions(judged_model, judged_model) == []
