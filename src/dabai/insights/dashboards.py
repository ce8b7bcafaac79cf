"""Chart data of the portal's dashboards: one grouped query per chart, whatever the data size.

Counts are of unique conversations (a case is one conversation) and unique customers, never of messages or
events. Every chart takes the case library's filters (facets, query, date range) and every point carries
the query string of the cases behind it, so a click opens the case library with those facets set.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.insights.models import Case, CaseTopic
from dabai.insights.selectors import CaseFilters, filtered, value_label

DEFAULT_WEEKS = 12
MAX_WEEKS = 26
TOP_TOPICS = 10
TOP_PRODUCTS = 10
SENTIMENTS = ("positive", "neutral", "negative")
CHARTS = ("topics", "sentiment", "net_sentiment", "escalations", "channels", "products")


def _aware(day, end: bool = False) -> datetime:
    moment = datetime.combine(day + timedelta(days=1) if end else day, datetime.min.time())
    return timezone.make_aware(moment)


def windows(filters: CaseFilters, now: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """7-day windows from the filters' date range (the last 12 weeks by default), oldest first."""
    end = _aware(filters.until, end=True) if filters.until else (now or timezone.now())
    start = _aware(filters.since) if filters.since else end - timedelta(weeks=DEFAULT_WEEKS)
    weeks = min(MAX_WEEKS, max(1, math.ceil((end - start) / timedelta(days=7))))
    return [(end - timedelta(days=7 * (k + 1)), end - timedelta(days=7 * k)) for k in reversed(range(weeks))]


def _cases(filters: CaseFilters, span: list[tuple[datetime, datetime]]) -> QuerySet[Case]:
    return filtered(filters).filter(opened_at__gte=span[0][0], opened_at__lt=span[-1][1])


def _drill(filters: CaseFilters, *, window: tuple[datetime, datetime] | None = None, **facets: str) -> str:
    """The case library's query string for the cases behind one point of a chart."""
    pairs = [
        (k, v) for k, v in filters.pairs() if k not in {"since", "until"} and (k, v) not in facets.items()
    ]
    pairs += [(k, v) for k, v in facets.items() if (k, v) not in pairs]
    if window is not None:
        start, end = window
        pairs += [("since", timezone.localdate(start).isoformat())]
        pairs += [("until", timezone.localdate(end - timedelta(seconds=1)).isoformat())]
    else:
        pairs += [(k, v) for k, v in filters.pairs() if k in {"since", "until"}]
    return urlencode(pairs)


def _labels(span: list[tuple[datetime, datetime]]) -> list[str]:
    return [timezone.localdate(a).strftime("%m-%d") for a, _ in span]


def _in(window: tuple[datetime, datetime], prefix: str = "") -> Q:
    return Q(**{f"{prefix}opened_at__gte": window[0], f"{prefix}opened_at__lt": window[1]})


def _assignments(filters: CaseFilters, span: list[tuple[datetime, datetime]]) -> QuerySet[CaseTopic]:
    """The topic assignments a topic chart counts. Chosen topics are the chart's lines; when topics and dates
    are the only filters the assignments are read straight from their (topic, time) index, without going
    through the case table (a topic's trend stays fast at a million messages)."""
    chosen = [int(t) for t in filters.chosen.get("topic", [])]
    if not filters.q and not filters.flags and set(filters.chosen) <= {"topic"}:
        qs = CaseTopic.objects.filter(opened_at__gte=span[0][0], opened_at__lt=span[-1][1])
    else:
        qs = CaseTopic.objects.filter(case_id__in=_cases(filters, span).values("pk"))
    if chosen:
        return qs.filter(topic_id__in=chosen)
    return qs.filter(topic__is_active=True)


def topics(filters: CaseFilters, now: datetime | None = None) -> dict:
    """Cases per topic per week (the busiest or the chosen topics), with each topic's unique customers."""
    span = windows(filters, now)
    rows = list(
        _assignments(filters, span)
        .values("topic_id", "topic__name")
        .annotate(
            total=Count("case_id"),
            customers=Count("case__customer_id", distinct=True),
            **{f"w{i}": Count("case_id", filter=_in(w)) for i, w in enumerate(span)},
        )
        .order_by("-total", "topic__name")[:TOP_TOPICS]
    )
    return {
        "labels": _labels(span),
        "series": [
            {
                "name": row["topic__name"],
                "total": row["total"],
                "customers": row["customers"],
                "data": [row[f"w{i}"] for i in range(len(span))],
                "drill": [_drill(filters, window=w, topic=str(row["topic_id"])) for w in span],
            }
            for row in rows
        ],
    }


def sentiment(filters: CaseFilters, now: datetime | None = None) -> dict:
    """Cases per sentiment per week (stacked), one aggregate query."""
    span = windows(filters, now)
    counts = _cases(filters, span).aggregate(
        **{
            f"w{i}_{s}": Count("pk", filter=_in(w) & Q(sentiment=s))
            for i, w in enumerate(span)
            for s in SENTIMENTS
        }
    )
    return {
        "labels": _labels(span),
        "series": [
            {
                "key": s,
                "name": value_label("sentiment", s),
                "data": [counts[f"w{i}_{s}"] for i in range(len(span))],
                "drill": [_drill(filters, window=w, sentiment=s) for w in span],
            }
            for s in SENTIMENTS
        ],
    }


def net_sentiment(filters: CaseFilters, now: datetime | None = None) -> dict:
    """Per topic: % positive − % negative of its cases (the busiest topics), one grouped query."""
    span = windows(filters, now)
    rows = (
        CaseTopic.objects.filter(case_id__in=_cases(filters, span).values("pk"), topic__is_active=True)
        .values("topic_id", "topic__name")
        .annotate(
            total=Count("case_id"),
            positive=Count("case_id", filter=Q(case__sentiment="positive")),
            negative=Count("case_id", filter=Q(case__sentiment="negative")),
        )
        .order_by("-total", "topic__name")[:TOP_TOPICS]
    )
    return {
        "labels": [row["topic__name"] for row in rows],
        "data": [round(100 * (row["positive"] - row["negative"]) / row["total"], 1) for row in rows],
        "totals": [row["total"] for row in rows],
        "drill": [_drill(filters, topic=str(row["topic_id"])) for row in rows],
    }


def escalations(filters: CaseFilters, now: datetime | None = None) -> dict:
    """Share of cases with escalation risk per week (%), one aggregate query."""
    span = windows(filters, now)
    counts = _cases(filters, span).aggregate(
        **{f"t{i}": Count("pk", filter=_in(w)) for i, w in enumerate(span)},
        **{f"e{i}": Count("pk", filter=_in(w) & Q(escalation=True)) for i, w in enumerate(span)},
    )
    return {
        "labels": _labels(span),
        "data": [
            round(100 * counts[f"e{i}"] / counts[f"t{i}"], 1) if counts[f"t{i}"] else 0
            for i in range(len(span))
        ],
        "counts": [counts[f"e{i}"] for i in range(len(span))],
        "drill": [_drill(filters, window=w, escalation="1") for w in span],
    }


def channels(filters: CaseFilters, now: datetime | None = None) -> dict:
    """Unique conversations and customers per channel, one grouped query."""
    span = windows(filters, now)
    rows = (
        _cases(filters, span)
        .values("channel")
        .annotate(conversations=Count("pk"), customers=Count("customer_id", distinct=True))
        .order_by("-conversations", "channel")
    )
    return {
        "items": [
            {
                "name": value_label("channel", row["channel"]),
                "value": row["conversations"],
                "customers": row["customers"],
                "drill": _drill(filters, channel=row["channel"]),
            }
            for row in rows
        ]
    }


def products(filters: CaseFilters, now: datetime | None = None) -> dict:
    """The most talked-about products (unique conversations and customers), one grouped query."""
    span = windows(filters, now)
    rows = (
        _cases(filters, span)
        .exclude(product="")
        .values("product")
        .annotate(conversations=Count("pk"), customers=Count("customer_id", distinct=True))
        .order_by("-conversations", "product")[:TOP_PRODUCTS]
    )
    return {
        "labels": [row["product"] for row in rows],
        "data": [row["conversations"] for row in rows],
        "customers": [row["customers"] for row in rows],
        "drill": [_drill(filters, product=row["product"]) for row in rows],
    }


def chart(name: str, filters: CaseFilters, now: datetime | None = None) -> dict:
    builders = {
        "topics": topics,
        "sentiment": sentiment,
        "net_sentiment": net_sentiment,
        "escalations": escalations,
        "channels": channels,
        "products": products,
    }
    return builders[name](filters, now)


def titles() -> dict[str, str]:
    return {
        "topics": _("Cases per topic per week"),
        "sentiment": _("Sentiment per week"),
        "net_sentiment": _("Net sentiment per topic (% positive − % negative)"),
        "escalations": _("Share of cases with escalation risk (%)"),
        "channels": _("Channel mix (unique conversations)"),
        "products": _("Top products (unique conversations)"),
    }
