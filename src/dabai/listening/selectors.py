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


# ------------------------------------------------------------- for the voice-of-the-customer portal


BURST_HOUR = timedelta(hours=1)


def recent_bursts(since, *, limit: int = 10) -> list[BurstAlert]:
    """Burst alerts raised since *since*, newest hour first (the portal's emerging issues and digests)."""
    return list(BurstAlert.objects.filter(window_start__gte=since).order_by("-window_start", "-id")[:limit])


def _burst_span(alert: BurstAlert) -> tuple:
    """The posts a burst counted: the hour before its detection, which fell within its ``window_start`` hour
    (so from an hour before that hour to its end)."""
    return alert.window_start - BURST_HOUR, alert.window_start + BURST_HOUR


def burst_origins(alerts: list[BurstAlert]) -> dict[int, list[str]]:
    """Where each burst's mentions were read (Weibo, news feeds): one query for every alert given."""
    from django.db.models import Q

    if not alerts:
        return {}
    spans = Q()
    for alert in alerts:
        start, end = _burst_span(alert)
        spans |= Q(topic=alert.topic, published_at__gt=start, published_at__lt=end)
    rows = list(MentionTopic.objects.filter(spans).values_list("topic", "published_at", "mention__origin"))
    out = {}
    for alert in alerts:
        start, end = _burst_span(alert)
        out[alert.pk] = sorted({o for t, at, o in rows if t == alert.topic and start < at < end})
    return out


def burst(pk: int) -> BurstAlert | None:
    return BurstAlert.objects.filter(pk=pk).first()


def burst_mentions(alert: BurstAlert) -> QuerySet[Mention]:
    """The mentions a burst counted, most-reached first."""
    start, end = _burst_span(alert)
    return Mention.objects.filter(
        pk__in=MentionTopic.objects.filter(
            topic=alert.topic, published_at__gt=start, published_at__lt=end
        ).values("mention_id")
    ).order_by("-author_followers", "-reposts", "-published_at", "-id")
