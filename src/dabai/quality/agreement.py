"""How much reviewers agree: percent agreement and Cohen's (two reviewers) or Fleiss' kappa (more).

Kappa corrects the raw agreement for what chance alone would give: 1 is perfect, 0 is chance, below 0 worse
than chance. When every answer is the same category, chance agreement is already 100% and kappa is
undefined (None), though the percent agreement is still shown.
"""

from collections import Counter
from dataclasses import dataclass

CATEGORIES = ("yes", "partly", "no")


@dataclass(frozen=True)
class Agreement:
    items: int  # conversations every reviewer answered
    raters: int
    percent: float | None  # mean share of agreeing reviewer pairs per conversation
    kappa: float | None
    method: str  # "cohen", "fleiss" or ""


def agreement(ratings: list[list[str]]) -> Agreement:
    """``ratings[i]`` = every reviewer's answer for conversation i (same reviewers, same order, for each)."""
    rows = [r for r in ratings if len(r) >= 2]
    if not rows:
        return Agreement(0, 0, None, None, "")
    raters = len(rows[0])
    rows = [r for r in rows if len(r) == raters]
    percent = round(100 * sum(_pairs_agreeing(r) for r in rows) / len(rows), 1)
    if raters == 2:
        return Agreement(len(rows), raters, percent, _cohen(rows), "cohen")
    return Agreement(len(rows), raters, percent, _fleiss(rows), "fleiss")


def _pairs_agreeing(row: list[str]) -> float:
    n = len(row)
    counts = Counter(row)
    return sum(c * (c - 1) for c in counts.values()) / (n * (n - 1))


def _cohen(rows: list[list[str]]) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    first, second = [r[0] for r in rows], [r[1] for r in rows]
    if len(set(first) | set(second)) < 2:
        return None
    value = cohen_kappa_score(first, second, labels=list(CATEGORIES))
    return None if value != value else round(float(value), 3)  # NaN when chance agreement is total


def _fleiss(rows: list[list[str]]) -> float | None:
    n = len(rows[0])
    total = len(rows) * n
    shares = {c: sum(r.count(c) for r in rows) / total for c in set().union(*map(set, rows))}
    expected = sum(p * p for p in shares.values())
    if expected >= 1:
        return None
    observed = sum(_pairs_agreeing(r) for r in rows) / len(rows)
    return round((observed - expected) / (1 - expected), 3)
