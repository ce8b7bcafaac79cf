"""Reads for the probes page and banner: each channel's recent runs, success over a day and its latency."""

import statistics
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from dabai.core.choices import Channel
from dabai.quality import conf
from dabai.quality.models import ProbeAlert, ProbeRun, ProbeStatus
from dabai.quality.probes.runs import channels_to_probe, failing_channels, is_failing

RECENT = 12
DAY = timedelta(hours=24)


@dataclass
class ChannelProbes:
    channel: str
    label: str
    probed: bool  # configured (and selected) now, so the chain probes it
    threshold_seconds: int
    runs: list[ProbeRun] = field(default_factory=list)
    day_total: int = 0
    day_ok: int = 0
    day_late: int = 0
    day_failed: int = 0
    median_latency: float | None = None
    worst_latency: float | None = None
    last_alert_at: object = None

    @property
    def latest(self) -> ProbeRun | None:
        return self.runs[0] if self.runs else None

    @property
    def failing(self) -> bool:
        settled = next(
            (r for r in self.runs if r.status != ProbeStatus.PENDING or r.deadline < timezone.now()), None
        )
        return settled is not None and is_failing(settled)

    @property
    def success_rate(self) -> float | None:
        return 100.0 * self.day_ok / self.day_total if self.day_total else None


def overview() -> list[ChannelProbes]:
    """Every channel that is probed now or was in the last day, failing ones first (a few queries each)."""
    now = timezone.now()
    probed = set(channels_to_probe()) if conf.public_url() else set()
    day = ProbeRun.objects.filter(sent_at__gte=now - DAY)
    counts = {
        row["channel"]: row
        for row in day.values("channel").annotate(
            total=Count("id"),
            ok=Count("id", filter=Q(status=ProbeStatus.OK)),
            late=Count("id", filter=Q(status=ProbeStatus.LATE)),
            failed=Count("id", filter=Q(status=ProbeStatus.FAILED)),
        )
    }
    alerts = dict(
        ProbeAlert.objects.filter(sent_at__gte=now - DAY)
        .order_by("channel", "-sent_at")
        .values_list("channel", "sent_at")
    )
    result = []
    for channel in Channel.values:
        if channel not in probed and channel not in counts:
            continue
        row = counts.get(channel, {})
        item = ChannelProbes(
            channel=channel,
            label=str(Channel(channel).label),
            probed=channel in probed,
            threshold_seconds=conf.probe_threshold_seconds(channel),
            runs=list(ProbeRun.objects.filter(channel=channel).order_by("-sent_at", "-id")[:RECENT]),
            day_total=row.get("total", 0),
            day_ok=row.get("ok", 0),
            day_late=row.get("late", 0),
            day_failed=row.get("failed", 0),
            last_alert_at=alerts.get(channel),
        )
        latencies = [
            r.latency_seconds
            for r in day.filter(channel=channel, analysed_at__isnull=False).only(
                "sent_at", "stored_at", "analysed_at"
            )
        ]
        if latencies:
            item.median_latency = statistics.median(latencies)
            item.worst_latency = max(latencies)
        result.append(item)
    result.sort(key=lambda c: (not c.failing, c.label))
    return result


def failing_labels() -> list[str]:
    """The names of the channels whose latest probe failed, for the banner and the menu."""
    return [str(Channel(channel).label) for channel in failing_channels()]
