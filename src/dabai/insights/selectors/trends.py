"""Trends of the filtered cases: cases per rolling week, and whether this week is a significant rise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from scipy.stats import poisson

from dabai.insights.models import Case
from dabai.insights.selectors.facets import TREND_WEEKS, _week_windows
from dabai.insights.selectors.filters import CaseFilters, filtered

BASELINE_WEEKS = 8
EMERGING_MIN_COUNT = 5
EMERGING_P_VALUE = 0.01
BASELINE_FLOOR = 0.5  # a topic never seen before still has a small expected count


def weekly_counts(qs: QuerySet[Case], now: datetime | None = None, weeks: int = TREND_WEEKS) -> list[dict]:
    """Cases per 7-day window (unique conversations), in one query whatever the data size."""
    now = now or timezone.now()
    windows = _week_windows(now, weeks)
    counts = qs.aggregate(
        **{
            f"w{i}": Count("pk", filter=Q(opened_at__gte=a, opened_at__lt=b))
            for i, (a, b) in enumerate(windows)
        }
    )
    return [
        {
            "start": a.date().isoformat(),
            "end": (b - timedelta(seconds=1)).date().isoformat(),
            "count": counts[f"w{i}"],
        }
        for i, (a, b) in enumerate(windows)
    ]


@dataclass(frozen=True)
class Rise:
    """This week's count against the previous weeks' mean, and how surprising it is under Poisson."""

    observed: int
    baseline: float
    p_value: float
    significant: bool

    @property
    def ratio(self) -> float:
        return self.observed / max(self.baseline, BASELINE_FLOOR)


def rise(observed: int, previous: list[int]) -> Rise:
    """One-sided Poisson test: P(X ≥ observed) for X ~ Poisson(mean of the previous weeks, at least 0.5).

    Significant when that probability is below ``EMERGING_P_VALUE`` and at least ``EMERGING_MIN_COUNT``
    cases arrived this week (a jump from 0 to 2 is noise, however improbable).
    """
    baseline = sum(previous) / len(previous) if previous else 0.0
    p_value = float(poisson.sf(observed - 1, max(baseline, BASELINE_FLOOR))) if observed else 1.0
    significant = observed >= EMERGING_MIN_COUNT and observed > baseline and p_value < EMERGING_P_VALUE
    return Rise(observed, round(baseline, 2), p_value, significant)


def weekly_rise(counts: list[dict]) -> Rise:
    """This week's rise against the ``BASELINE_WEEKS`` before it, from ``weekly_counts``' figures."""
    return rise(counts[-1]["count"], [c["count"] for c in counts[-1 - BASELINE_WEEKS : -1]])


def trend(filters: CaseFilters, now: datetime | None = None) -> tuple[list[dict], Rise]:
    counts = weekly_counts(filtered(filters), now)
    return counts, weekly_rise(counts)


def chart_payload(counts: list[dict]) -> dict:
    return {"labels": [c["start"][5:] for c in counts], "counts": [c["count"] for c in counts]}


def p_value_text(r: Rise) -> str:
    return f"p={r.p_value:.2g}" if r.p_value >= 1e-6 else "p<1e-6"
