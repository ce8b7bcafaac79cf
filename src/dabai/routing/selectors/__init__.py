"""Reads for the routing dashboard, the waiting customer's estimate and the SLA reports (``reports``)."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dabai.accounts.models import Role, User
from dabai.conversations.models import Conversation, Status
from dabai.core.memo import per_batch
from dabai.routing.calendar import WorkingCalendar, library_knows
from dabai.routing.models import (
    AgentRouting,
    AgentState,
    BusinessHours,
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


def tier_policies() -> QuerySet[TierPolicy]:
    return TierPolicy.objects.all()


# ------------------------------------------------------------ what a waiting customer is told (issue 15)

WAIT_SAMPLE_DAYS = 7
DEFAULT_WAIT_MINUTES = 3.0


def _waiting(team_id: int | None) -> QuerySet[Conversation]:
    """Open conversations nobody has answered yet, in one team's queue (or the whole centre's)."""
    waiting = Conversation.objects.filter(
        status=Status.OPEN, first_response_at__isnull=True, last_inbound_at__isnull=False
    )
    return waiting.filter(team_id=team_id) if team_id is not None else waiting


def queue_ahead(conversation: Conversation) -> int:
    """How many customers wait before this one for the same people.

    Assigned: the agent's own unanswered conversations that started waiting earlier. Unassigned: the team's
    (or, without a team, the centre's) unassigned unanswered conversations that started waiting earlier.
    """
    waiting = _waiting(None if conversation.assignee_id else conversation.team_id).exclude(pk=conversation.pk)
    if conversation.assignee_id:
        waiting = waiting.filter(assignee_id=conversation.assignee_id)
    else:
        waiting = waiting.filter(assignee__isnull=True)
    since = conversation.last_inbound_at or conversation.created_at
    return waiting.filter(Q(created_at__lt=since) | Q(created_at=since, pk__lt=conversation.pk)).count()


@per_batch(key=lambda team_id, channel, now=None: (team_id, channel))
def average_first_response_minutes(team_id: int | None, channel: str, now: datetime | None = None) -> float:
    """The stated estimate: the mean minutes from a conversation's start to a person's first reply, over the
    last 7 days, in this team (all teams when it has none) and on this channel; 3 minutes with no history."""
    now = now or timezone.now()
    answered = Conversation.objects.filter(
        channel=channel,
        first_response_at__isnull=False,
        created_at__gte=now - timedelta(days=WAIT_SAMPLE_DAYS),
    )
    if team_id is not None:
        answered = answered.filter(team_id=team_id)
    spans = [
        (first - start).total_seconds()
        for start, first in answered.values_list("created_at", "first_response_at")[:2000]
    ]
    spans = [s for s in spans if s >= 0]
    return sum(spans) / len(spans) / 60 if spans else DEFAULT_WAIT_MINUTES


@per_batch()
def available_agents(team_id: int | None) -> int:
    seats = AgentRouting.objects.filter(
        user__is_active=True, user__role=Role.AGENT, user__is_automated=False, state=AgentState.AVAILABLE
    )
    if team_id is not None:
        seats = seats.filter(user__agent_profile__teams__id=team_id)
    return seats.distinct().count()


def estimated_wait_minutes(conversation: Conversation, ahead: int, now: datetime | None = None) -> int:
    """Minutes until a person answers: the average first-response time of the team on this channel for each
    round of customers ahead (customers ahead, plus this one, shared among the available agents)."""
    average = average_first_response_minutes(conversation.team_id, conversation.channel, now)
    agents = 1 if conversation.assignee_id else max(1, available_agents(conversation.team_id))
    rounds = math.ceil((ahead + 1) / agents)
    return max(1, math.ceil(average * rounds))


@per_batch()
def working_calendar(team_id: int | None) -> WorkingCalendar:
    """The team's opening hours (or the centre's default) on the holiday calendar, as SLA clocks use it."""
    overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
    hours = (
        BusinessHours.objects.filter(team_id=team_id).first() if team_id is not None else None
    ) or BusinessHours.objects.filter(team__isnull=True).first()
    if hours is None:
        return WorkingCalendar(overrides=overrides)
    return WorkingCalendar(tz=hours.time_zone, opens=hours.opens, closes=hours.closes, overrides=overrides)


def next_opening(team_id: int | None, at: datetime | None = None) -> datetime | None:
    """When people next answer: None while the team is open, else the start of its next opening window."""
    at = at or timezone.now()
    calendar = working_calendar(team_id)
    local = at.astimezone(calendar.zone)
    window = calendar.window(local.date())
    if window is not None and window[0] <= local < window[1]:
        return None
    return calendar.add(at, 0)
