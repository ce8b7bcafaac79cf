"""Reads for the routing dashboard and the SLA reports."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from dabai.accounts.models import Role, User
from dabai.conversations.models import Conversation, Status
from dabai.routing.calendar import library_knows
from dabai.routing.models import (
    AgentRouting,
    CalendarDay,
    ClockState,
    ComplaintCase,
    ComplaintStage,
    RoutingDecision,
    SlaBreach,
    SlaClock,
    SweepChain,
    TierPolicy,
)

WARN_DAYS_BEFORE_YEAR = 90
GROUPS = {"channel": "channel", "team": "team__name", "tier": "tier"}


@dataclass(frozen=True)
class CalendarWarning:
    year: int
    starts_in_days: int


def calendar_warnings(today: date | None = None) -> list[CalendarWarning]:
    """Years (this one and, within 90 days of it, the next) the holiday library does not know and admins have
    not filled in: SLA clocks would count statutory holidays as workdays there."""
    today = today or timezone.localdate()
    years = [today.year]
    if (date(today.year + 1, 1, 1) - today).days <= WARN_DAYS_BEFORE_YEAR:
        years.append(today.year + 1)
    warnings = []
    for year in years:
        if library_knows(year) or CalendarDay.objects.filter(date__year=year).exists():
            continue
        warnings.append(CalendarWarning(year, max(0, (date(year, 1, 1) - today).days)))
    return warnings


def agent_seats() -> QuerySet[AgentRouting]:
    return (
        AgentRouting.objects.filter(user__is_active=True, user__role=Role.AGENT)
        .select_related("user")
        .annotate(
            open_count=Count(
                "user__assigned_conversations",
                filter=Q(user__assigned_conversations__status__in=[Status.OPEN, Status.PENDING]),
            )
        )
        .order_by("user__username")
    )


def paused_conversations(conversation_ids: Iterable[int]) -> set[int]:
    """Which of these conversations wait on the customer (a paused clock): one query for a whole batch."""
    return set(
        SlaClock.objects.filter(
            conversation_id__in=set(conversation_ids), state=ClockState.PAUSED
        ).values_list("conversation_id", flat=True)
    )


def queue_size() -> int:
    return Conversation.objects.filter(status=Status.OPEN, assignee__isnull=True).count()


def last_sweep() -> datetime | None:
    return SweepChain.objects.filter(name="sla").values_list("swept_at", flat=True).first()


def open_complaints() -> QuerySet[ComplaintCase]:
    return (
        ComplaintCase.objects.exclude(stage=ComplaintStage.CONFIRMED)
        .select_related("conversation", "customer", "owner")
        .order_by("due_at")
    )


def complaints_for(user: User) -> QuerySet[ComplaintCase]:
    """Supervisors see every case; a senior owner sees the cases they own."""
    qs = ComplaintCase.objects.select_related("conversation", "customer", "owner").order_by("stage", "due_at")
    if user.role in {Role.ADMIN, Role.SUPERVISOR}:
        return qs
    return qs.filter(owner=user)


def recent_breaches(limit: int = 50) -> QuerySet[SlaBreach]:
    return SlaBreach.objects.select_related("conversation", "escalated_to", "clock")[:limit]


def recent_decisions(limit: int = 50) -> QuerySet[RoutingDecision]:
    return RoutingDecision.objects.select_related("agent", "conversation")[:limit]


def attainment(group: str, since: datetime) -> list[dict]:
    """Share of ended clocks that met their target, per day and per channel, team or tier."""
    field = GROUPS.get(group, "channel")
    rows = (
        SlaClock.objects.filter(stopped_at__gte=since, state__in=[ClockState.MET, ClockState.BREACHED])
        .annotate(day=TruncDate("stopped_at"))
        .values("day", field)
        .annotate(met=Count("id", filter=Q(state=ClockState.MET)), total=Count("id"))
        .order_by("day", field)
    )
    return [
        {
            "day": row["day"],
            "group": row[field] or "—",
            "met": row["met"],
            "total": row["total"],
            "rate": round(100 * row["met"] / row["total"], 1) if row["total"] else None,
        }
        for row in rows
    ]


def report_since(days: int) -> datetime:
    return timezone.now() - timedelta(days=max(1, min(days, 366)))


def tier_policies() -> QuerySet[TierPolicy]:
    return TierPolicy.objects.all()
