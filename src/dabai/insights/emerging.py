"""Emerging issues, computed once a day and stored: per topic (intents, defined and discovered topics), the
last 7 days against the 8 weeks before, with the one-sided Poisson test of ``selectors.rise`` (p < 0.01,
at least ``EMERGING_MIN_COUNT`` cases this week).

The front page and the weekly digests read the stored run (``latest_run``), so a page view never
recomputes. The computation is one grouped query over the topic assignments (``voc_case_topic_time``
index) plus one query for the example cases, whatever the data size.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from dabai.insights.models import Case, CaseTopic, EmergingRise, EmergingRun, Topic, TopicKind
from dabai.insights.selectors import BASELINE_WEEKS, Rise, rise

LIMIT = 20
EXAMPLES = 5


def _windows(end: datetime) -> list[tuple[datetime, datetime]]:
    weeks = BASELINE_WEEKS + 1
    return [(end - timedelta(days=7 * (k + 1)), end - timedelta(days=7 * k)) for k in reversed(range(weeks))]


def weekly_counts(end: datetime) -> dict[int, list[int]]:
    """Cases per active topic per 7-day window (the last is "this week"): one grouped query."""
    span = _windows(end)
    rows = (
        CaseTopic.objects.filter(
            opened_at__gte=span[0][0],
            opened_at__lt=end,
            topic__is_active=True,
            topic__merged_into__isnull=True,
        )
        .values("topic_id")
        .annotate(
            **{
                f"w{i}": Count("pk", filter=Q(opened_at__gte=a, opened_at__lt=b))
                for i, (a, b) in enumerate(span)
            }
        )
        .order_by("topic_id")
    )
    return {row["topic_id"]: [row[f"w{i}"] for i in range(len(span))] for row in rows}


def _examples(topic_ids: list[int], since: datetime, end: datetime) -> dict[int, list[int]]:
    """The newest cases of this week per topic, in one query (a window function ranks them)."""
    if not topic_ids:
        return {}
    rows = (
        CaseTopic.objects.filter(topic_id__in=topic_ids, opened_at__gte=since, opened_at__lt=end)
        .annotate(n=Window(RowNumber(), partition_by="topic_id", order_by=[("-opened_at"), ("-case_id")]))
        .values_list("topic_id", "case_id", "n")
    )
    out: dict[int, list[int]] = defaultdict(list)
    for topic_id, case_id, n in rows:
        if n <= EXAMPLES:
            out[topic_id].append(case_id)
    return out


@dataclass(frozen=True)
class Ranked:
    topic_id: int
    rise: Rise
    weekly: list[int]


def ranked_rises(end: datetime) -> tuple[list[Ranked], int]:
    """Significant rises, most significant first (then the bigger, then the topic), and topics tested."""
    counts = weekly_counts(end)
    found = []
    for topic_id, series in counts.items():
        r = rise(series[-1], series[:-1])
        if r.significant:
            found.append(Ranked(topic_id, r, series))
    found.sort(key=lambda x: (x.rise.p_value, -x.rise.observed, x.topic_id))
    return found[:LIMIT], len(counts)


def compute_emerging(now: datetime | None = None, day: date | None = None) -> EmergingRun:
    """Compute and store the day's run (a second run the same day replaces the first)."""
    started = time.perf_counter()
    end = now or timezone.now()
    day = day or timezone.localdate(end)
    found, tested = ranked_rises(end)
    examples = _examples([f.topic_id for f in found], end - timedelta(days=7), end)
    with transaction.atomic():
        EmergingRun.objects.filter(day=day).delete()
        run = EmergingRun.objects.create(
            day=day, computed_at=timezone.now(), window_end=end, topics_tested=tested
        )
        EmergingRise.objects.bulk_create(
            [
                EmergingRise(
                    run=run,
                    topic_id=f.topic_id,
                    rank=rank,
                    observed=f.rise.observed,
                    baseline=f.rise.baseline,
                    p_value=f.rise.p_value,
                    weekly=f.weekly,
                    examples=examples.get(f.topic_id, []),
                )
                for rank, f in enumerate(found, start=1)
            ]
        )
        run.seconds = round(time.perf_counter() - started, 3)
        run.save(update_fields=["seconds"])
    return run


def latest_run() -> EmergingRun | None:
    return EmergingRun.objects.order_by("-day").first()


@dataclass
class ShownRise:
    """A stored rise as pages and digests show it, with masked example snippets."""

    topic: Topic
    rank: int
    observed: int
    baseline: float
    p_value: float
    weekly: list[int]
    examples: list[tuple[int, str]]
    url: str = ""

    @property
    def p_text(self) -> str:
        return f"p={self.p_value:.2g}" if self.p_value >= 1e-6 else "p<1e-6"

    @property
    def is_discovered(self) -> bool:
        return self.topic.kind == TopicKind.DISCOVERED


def shown_rises(
    run: EmergingRun | None, *, topic_ids: set[int] | None = None, limit: int = 10
) -> list[ShownRise]:
    """The run's rises (optionally of some topics only) with their example cases' masked summaries: two
    queries whatever the size."""
    if run is None:
        return []
    rises = list(EmergingRise.objects.filter(run=run).select_related("topic").order_by("rank"))
    if topic_ids is not None:
        rises = [r for r in rises if r.topic_id in topic_ids]
    rises = rises[:limit]
    wanted = {pk for r in rises for pk in r.examples[:3]}
    summaries = dict(Case.objects.filter(pk__in=wanted).values_list("pk", "summary"))
    return [
        ShownRise(
            r.topic,
            r.rank,
            r.observed,
            r.baseline,
            r.p_value,
            r.weekly,
            [(pk, summaries[pk]) for pk in r.examples[:3] if pk in summaries],
        )
        for r in rises
    ]
