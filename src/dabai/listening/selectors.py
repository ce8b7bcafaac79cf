"""Reads of the listening pages."""

from datetime import timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from dabai.listening.models import BurstAlert, Mention, MentionTopic, Source, Watchlist

PAGE = 50


def mentions(*, topic: str = "", needs_answer: bool = False) -> QuerySet[Mention]:
    rows = Mention.objects.select_related("source", "conversation")
    if topic:
        rows = rows.filter(topic_rows__topic=topic)
    if needs_answer:
        rows = rows.filter(sentiment="negative") | rows.filter(escalation_risk=True)
    return rows.order_by("-published_at", "-id")


def topic_counts(days: int = 1) -> list[dict]:
    since = timezone.now() - timedelta(days=days)
    return list(
        MentionTopic.objects.filter(published_at__gt=since)
        .values("topic")
        .annotate(n=Count("id"))
        .order_by("-n", "topic")[:20]
    )


def alerts() -> QuerySet[BurstAlert]:
    return BurstAlert.objects.select_related("acknowledged_by")


def open_alert_count() -> int:
    return BurstAlert.objects.filter(acknowledged_at__isnull=True).count()


def sources() -> QuerySet[Source]:
    return Source.objects.all()


def watchlists() -> QuerySet[Watchlist]:
    return Watchlist.objects.prefetch_related("terms")
