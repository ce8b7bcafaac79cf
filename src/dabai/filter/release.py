"""When may a new model replace the one reading messages?  A paired comparison on the same held-out messages.

The rule of issue 13 is "no worse on every headline figure".  Read literally on point estimates it cannot tell
a regression from noise: the real-turn escalation F1 rests on two positive messages, so one message read
differently moves it by 0.1 or more.  So both models are judged on the *same* held-out messages (each set is
predicted once per model) and a figure counts as made worse when

1. **the drop is significant** at 5 % one-sided, by a paired test:

   - accuracies and rates (sentiment, intent, voice, plain questions read neutral, binary review sentiment):
     the exact binomial (McNemar) test on the discordant messages.  Of the messages exactly one model reads
     right, the candidate alone is wrong on *b* and alone right on *c*; if the two were equally good each
     discordant message would fall either way with probability ½, so the p-value is P(X ≥ b),
     X ~ Bin(b + c, ½).
   - F1 (escalation, spam), which is not a mean over messages: a paired bootstrap.  The messages are
     resampled with replacement (2,000 times, fixed seed), both models' F1 computed on each resample; the
     p-value is the share of resamples on which the candidate is not worse (its one-sided 95 % percentile
     interval of the difference lies below zero exactly when it is < 0.05);

2. **or the figure falls from meeting its target to missing it** (the targets of issue 13), however small the
   step: a figure the product promises is never given up;

3. except that a figure resting on fewer than ``MIN_POSITIVES`` (10) positive messages (F1) or messages
   (rates) is reported but cannot refuse a model alone: with two positives every outcome is one message.

Everything is deterministic (a fixed seed, exact tests), framework-free and fast: per figure only a boolean
array per model is kept, and the bootstrap draws category counts (multinomial), not messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .evaluate import gold, is_plain_question, predicted

ALPHA = 0.05
MIN_POSITIVES = 10
BOOTSTRAP = 2000
SEED = 20261201
ACCURACY_SIGNALS = ("sentiment", "intent", "voice")
F1_SIGNALS = ("escalation", "spam")


@dataclass(frozen=True)
class Outcome:
    """What one model did on the messages behind one figure, message by message (same order for every model).

    Rates: ``right`` per message.  F1: ``gold`` and ``said`` (predicted positive) per message.
    """

    kind: str  # "rate" or "f1"
    right: np.ndarray | None = None
    gold: np.ndarray | None = None
    said: np.ndarray | None = None

    @property
    def value(self) -> float:
        if self.kind == "rate":
            assert self.right is not None
            return float(self.right.mean()) if self.right.size else 0.0
        assert self.gold is not None and self.said is not None
        return _f1(int((self.gold & self.said).sum()), int(self.said.sum()), int(self.gold.sum()))

    @property
    def support(self) -> int:
        """What the figure rests on: positive messages for F1, messages for a rate."""
        if self.kind == "rate":
            assert self.right is not None
            return int(self.right.size)
        assert self.gold is not None
        return int(self.gold.sum())


@dataclass(frozen=True)
class Comparison:
    """One headline figure of a candidate against the active model, and whether it refuses the candidate."""

    figure: str
    candidate: float
    active: float
    support: int
    target: float | None
    p_value: float | None  # one-sided: small when the candidate is worse
    verdict: str  # "better", "same", "worse, not significant", "worse", "below target", "too few to decide"
    decides: bool  # this figure alone refuses the candidate
    detail: str = ""

    def as_row(self) -> list[Any]:
        """The stored form (the learning app keeps it on a rejected version): figure, candidate, active,
        why in words, verdict, p-value, target."""
        p = None if self.p_value is None else round(self.p_value, 4)
        return [
            self.figure,
            round(self.candidate, 4),
            round(self.active, 4),
            self.detail or self.verdict,
            self.verdict,
            p,
            self.target,
        ]


@dataclass
class Judged:
    """One model on the held-out sets: the full metrics, and the per-message outcomes of every headline
    figure."""

    metrics: dict[str, Any]
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    @property
    def headline(self) -> dict[str, float]:
        return {key: round(o.value, 4) for key, o in sorted(self.outcomes.items())}


def outcomes_of(
    name: str, records: list[dict[str, Any]], results: list[dict[str, Any]]
) -> dict[str, Outcome]:
    """Per-message outcomes of the headline figures of set *name* (*results*: ``Analysis.to_dict()``
    of each record)."""
    out: dict[str, Outcome] = {}
    pairs = list(zip(records, results, strict=True))
    for signal in ACCURACY_SIGNALS:
        right = [g == predicted(r, signal) for rec, r in pairs if (g := gold(rec, signal))]
        if right:
            out[f"{name}.{signal}"] = Outcome("rate", right=np.array(right, dtype=bool))
    for signal in F1_SIGNALS:
        labelled = [
            (g == "true", predicted(r, signal) == "true") for rec, r in pairs if (g := gold(rec, signal))
        ]
        if labelled and any(g for g, _ in labelled):
            truth, said = np.array(labelled, dtype=bool).T
            out[f"{name}.{signal}_f1"] = Outcome("f1", gold=truth, said=said)
    plain = [predicted(r, "sentiment") == "neutral" for rec, r in pairs if is_plain_question(rec)]
    if plain:
        out[f"{name}.plain_questions_neutral"] = Outcome("rate", right=np.array(plain, dtype=bool))
    return out


def review_outcome(records: list[dict[str, Any]], labels: Iterable[str]) -> Outcome:
    """Binary review sentiment ("positive vs not") per review, from the predicted sentiment labels."""
    right = [
        (said == "positive") == (rec["sentiment"] == "positive")
        for rec, said in zip(records, labels, strict=True)
    ]
    return Outcome("rate", right=np.array(right, dtype=bool))


def compare(
    candidate: Judged,
    active: Judged,
    targets: dict[str, float],
    *,
    alpha: float = ALPHA,
    min_positives: int = MIN_POSITIVES,
) -> list[Comparison]:
    """Every headline figure of *active*, judged for *candidate* by the rule of the module docstring."""
    found = []
    for key, before in sorted(active.outcomes.items()):
        target = targets.get(key.split(".", 1)[1])
        after = candidate.outcomes.get(key)
        if after is None or _shape(after) != _shape(before):
            found.append(
                Comparison(
                    key, 0.0, before.value, before.support, target, None, "worse", True, "not measured"
                )
            )
            continue
        found.append(_judge(key, after, before, target, alpha, min_positives))
    return found


def _judge(
    key: str, after: Outcome, before: Outcome, target: float | None, alpha: float, min_positives: int
) -> Comparison:
    cand, act, support = after.value, before.value, before.support
    p = p_worse(after, before)
    common = {
        "figure": key,
        "candidate": cand,
        "active": act,
        "support": support,
        "target": target,
        "p_value": p,
    }
    what = "positives" if before.kind == "f1" else "messages"
    drop = f"{cand:.3f} < {act:.3f}"
    if cand >= act:
        return Comparison(**common, verdict="better" if cand > act else "same", decides=False)
    if support < min_positives:
        return Comparison(
            **common,
            verdict="too few to decide",
            decides=False,
            detail=f"{drop}, on {support} {what}: reported, cannot decide alone",
        )
    if target is not None and act >= target > cand:
        return Comparison(
            **common,
            verdict="below target",
            decides=True,
            detail=f"{drop}: falls below its target {target:.2f}",
        )
    if p < alpha:
        return Comparison(
            **common,
            verdict="worse",
            decides=True,
            detail=f"{drop}: significant drop (one-sided p = {p:.3f})",
        )
    return Comparison(
        **common, verdict="worse, not significant", decides=False, detail=f"{drop} (one-sided p = {p:.2f})"
    )


def regressions(comparisons: list[Comparison]) -> list[Comparison]:
    """The figures that refuse the candidate (an empty list: it may replace the active model)."""
    return [c for c in comparisons if c.decides]


def p_worse(after: Outcome, before: Outcome) -> float:
    """One-sided p-value of "the candidate (*after*) is worse than the active model (*before*)"."""
    if after.kind == "rate":
        assert after.right is not None and before.right is not None
        lost = int((before.right & ~after.right).sum())  # only the candidate is wrong
        won = int((after.right & ~before.right).sum())  # only the candidate is right
        return binomial_tail(lost, lost + won)
    return bootstrap_f1(after, before)


def binomial_tail(k: int, n: int) -> float:
    """P(X ≥ k) for X ~ Bin(n, ½), exactly (integer arithmetic: n in the thousands is no problem)."""
    if n == 0 or k <= 0:
        return 1.0
    from math import comb

    return sum(comb(n, i) for i in range(k, n + 1)) / 2**n


def bootstrap_f1(after: Outcome, before: Outcome, rounds: int = BOOTSTRAP, seed: int = SEED) -> float:
    """Paired bootstrap of F1: the share of resamples of the messages on which the candidate is not worse.

    A message matters only through its (gold, candidate, active) triple, so a resample is a multinomial draw
    of the eight triples' counts: the same distribution as drawing messages, without the messages.
    """
    assert after.gold is not None and after.said is not None and before.said is not None
    cell = after.gold.astype(np.int64) * 4 + after.said.astype(np.int64) * 2 + before.said.astype(np.int64)
    counts = np.bincount(cell, minlength=8)
    n = int(counts.sum())
    if not n:
        return 1.0
    draws = np.random.default_rng(seed).multinomial(n, counts / n, size=rounds)  # (rounds, 8)
    g, c, a = (np.arange(8) >> 2) & 1, (np.arange(8) >> 1) & 1, np.arange(8) & 1

    def f1(said: np.ndarray) -> np.ndarray:
        tp = draws @ (g & said)
        denominator = draws @ said + draws @ g  # predicted positives + gold positives
        return np.divide(2 * tp, denominator, out=np.zeros(rounds), where=denominator > 0)

    return float((f1(c) >= f1(a)).mean())


def _f1(tp: int, said: int, positives: int) -> float:
    return 2 * tp / (said + positives) if said + positives else 0.0


def _shape(o: Outcome) -> tuple[str, int]:
    arr = o.right if o.kind == "rate" else o.gold
    assert arr is not None
    return o.kind, int(arr.size)


def table(comparisons: list[Comparison]) -> str:
    """The comparison as text: one line per figure (the command line and the shipping decision print it)."""
    lines = [f"  {'figure':<40}{'candidate':>10}{'active':>8}{'n':>7}{'p':>8}  verdict"]
    for c in comparisons:
        p = "" if c.p_value is None else f"{c.p_value:.3f}"
        mark = "REFUSES: " if c.decides else ""
        why = mark + (c.detail or c.verdict)
        lines.append(f"  {c.figure:<40}{c.candidate:>10.3f}{c.active:>8.3f}{c.support:>7d}{p:>8}  {why}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m dabai.filter.release CANDIDATE.npz [ACTIVE.npz]``: the rule's verdict on every headline
    figure (active: the shipped default model), each held-out set predicted once per model."""
    import sys

    from . import corpus
    from .model import DEFAULT_MODEL, Model

    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) > 2:
        print(main.__doc__)
        return 2
    sets = corpus.heldout_sets()
    candidate, active = Model.load(args[0]), Model.load(args[1] if len(args) > 1 else DEFAULT_MODEL)
    found = corpus.comparisons(corpus.judge(candidate, sets), corpus.judge(active, sets))
    print(f"{candidate.version} against {active.version}")
    print(table(found))
    refused = regressions(found)
    print(
        "refused: " + ", ".join(c.figure for c in refused)
        if refused
        else "accepted: no worse on every figure"
    )
    return 1 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
