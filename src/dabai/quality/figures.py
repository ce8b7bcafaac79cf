"""Reads behind the supervisors' figures: which conversations make up a figure (the drill-down), and the
floor's wall display. Set-wise like every report read: a fixed number of queries whatever the data size.

A drill-down is described by the query string of the figure it comes from (``source`` sla or outcome, the
grouping and its key, the period, and what is counted), so the page, the chart point and the list agree on
exactly the same conversations.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import BadRequest
from django.db.models import Avg, Count, Min, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from dabai.accounts.models import Role
from dabai.conversations.models import Conversation, Status
from dabai.core.choices import Channel
from dabai.core.params import parse_id
from dabai.customers.models import Tier
from dabai.quality import selectors
from dabai.quality.models import Survey, SurveyStatus
from dabai.quality.probes import exclude_probes
from dabai.routing.models import AgentRouting, AgentState, ClockKind, ClockState, SlaClock
from dabai.routing.selectors import reports as sla

OUTCOME_METRICS = {
    "all": Q(),
    "fcr": Q(first_contact_resolved=True),
    "not_fcr": Q(first_contact_resolved=False),
    "reopened": Q(reopened=True),
    "contained": Q(bot_contained=True),
    "csat": Q(csat__isnull=False),
    "csat_good": Q(csat__gte=4),
    "csat_low": Q(csat__lte=2),
    "effort": Q(effort__isnull=False),
}
OUTCOME_COLUMNS = {"team": "team_id", "agent": "agent_id", "channel": "channel", "intent": "intent"}
MAX_LISTED = 500


@dataclass(frozen=True)
class Drill:
    """What a figure counts, read from its query string."""

    source: str
    group: str
    key: object
    label: str
    what: str
    kind: str
    since: datetime
    until: datetime
    query: str


def _date(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise BadRequest("dates are YYYY-MM-DD") from error


def _key(group: str, raw: str) -> object:
    """The key from the query string: an id for teams and agents, a known code otherwise; "" is none."""
    if raw == "":
        return None
    if group in {"team", "agent"}:
        value = parse_id(raw)
        if value is None:
            raise BadRequest("unknown key")
        return value
    allowed = {"channel": Channel.values, "tier": Tier.values, "intent": None}[group]
    if allowed is not None and raw not in allowed:
        raise BadRequest("unknown key")
    return raw[:32]


def read_drill(request_get: QueryDict) -> Drill:
    """Parse and check a drill-down's query string; anything malformed is a 400, never a wrong list."""
    source = request_get.get("source", "")
    group = request_get.get("group", "")
    if source == "sla":
        if group not in {"", *sla.REPORT_GROUPS}:
            raise BadRequest("unknown group")
        day = _date(request_get.get("day"))
        if day is not None:
            since, until = sla.day_bounds(day)
        else:
            since, until = sla.period(_days(request_get))
        what = request_get.get("state", "all")
        if what not in {"all", "breached"}:
            raise BadRequest("unknown state")
        kind = request_get.get("kind", "")
        if kind not in {"", *ClockKind.values}:
            raise BadRequest("unknown promise")
    elif source == "outcome":
        if group not in {"", *OUTCOME_COLUMNS}:
            raise BadRequest("unknown group")
        start, end = _date(request_get.get("start")), _date(request_get.get("end"))
        if start is None or end is None or start > end or (end - start).days >= selectors.MAX_DAYS:
            raise BadRequest("start and end are needed, forwards, within a year")
        since, until = selectors.date_range(start, end)
        what, kind = request_get.get("metric", "all"), ""
        if what not in OUTCOME_METRICS:
            raise BadRequest("unknown metric")
    else:
        raise BadRequest("unknown source")
    key = _key(group, request_get.get("key", "")) if group else None
    if source == "sla":
        label = sla.group_labels(group, [key])[key] if group else ""
    else:
        label = selectors._labels(group, [key])[key] if group else ""
    return Drill(source, group, key, label, what, kind, since, until, request_get.urlencode())


def _days(request_get: QueryDict) -> int:
    """The SLA report's window in days (30 when absent); anything but plain digits is a 400."""
    raw = request_get.get("days", "").strip()
    if not raw:
        return 30
    days = parse_id(raw)
    if days is None:
        raise BadRequest("days must be a whole number")
    return days


def conversation_ids(drill: Drill) -> QuerySet:
    """The ids of the conversations behind the figure, as a subquery (one query when listed)."""
    if drill.source == "sla":
        clocks = sla.ended_clocks(drill.since, drill.until, drill.kind)
        if drill.group:
            clocks = clocks.filter(_match(sla.REPORT_GROUPS[drill.group], drill.key))
        if drill.what == "breached":
            clocks = clocks.filter(state=ClockState.BREACHED)
        return clocks.values("conversation_id")
    outcomes = selectors.outcomes_between(*_dates(drill)).filter(OUTCOME_METRICS[drill.what])
    if drill.group:
        outcomes = outcomes.filter(_match(OUTCOME_COLUMNS[drill.group], drill.key))
    return outcomes.values("conversation_id")


def _dates(drill: Drill) -> tuple[date, date]:
    zone = timezone.get_current_timezone()
    return drill.since.astimezone(zone).date(), (drill.until - timedelta(days=1)).astimezone(zone).date()


def _match(column: str, key: object) -> Q:
    return Q(**{f"{column}__isnull": True}) if key is None else Q(**{column: key})


def listed(conversations: QuerySet[Conversation], drill: Drill) -> tuple[list[Conversation], int]:
    """The conversations behind the figure that this reader may open, latest first (at most 500), and how
    many there are: two queries."""
    behind = exclude_probes(conversations.filter(pk__in=conversation_ids(drill)), "customer__")
    rows = list(
        behind.select_related("customer", "assignee", "team").order_by("-last_message_at", "-pk")[:MAX_LISTED]
    )
    return rows, behind.count()


# ------------------------------------------------------------------------------------------ wall display


@dataclass(frozen=True)
class Wall:
    """What the floor needs at a glance, read in four queries."""

    at: datetime
    waiting: int
    longest_wait: float | None
    weibo_public_waiting: int
    sla_today: list[sla.Attainment]
    sla_today_overall: sla.Attainment
    agents_available: int
    agents_working: int
    csat_avg: float | None
    csat_count: int


def wall(now: datetime | None = None) -> Wall:
    now = now or timezone.now()
    today, tomorrow = sla.day_bounds(timezone.localdate(now))
    answering = (ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE)
    weibo = Q(conversation__channel=Channel.WEIBO, conversation__is_public=True)
    queue = exclude_probes(
        SlaClock.objects.filter(
            state=ClockState.RUNNING, kind__in=answering, conversation__status=Status.OPEN
        )
    ).aggregate(
        waiting=Count("conversation", distinct=True),
        oldest=Min("started_at"),
        weibo=Count("conversation", filter=weibo, distinct=True),
    )
    clocks = sla.ended_clocks(today, tomorrow)
    by_channel = sla.attainment_by("channel", clocks)
    overall = _overall(by_channel)
    seats = AgentRouting.objects.filter(
        user__is_active=True, user__role=Role.AGENT, user__is_automated=False
    ).aggregate(
        available=Count("id", filter=Q(state=AgentState.AVAILABLE)),
        working=Count("id", filter=~Q(state=AgentState.OFFLINE)),
    )
    csat = exclude_probes(
        Survey.objects.filter(status=SurveyStatus.ANSWERED, answered_at__gte=today, answered_at__lt=tomorrow),
        "customer__",
    ).aggregate(avg=Avg("rating"), n=Count("id"))
    oldest = queue["oldest"]
    return Wall(
        at=now,
        waiting=queue["waiting"],
        longest_wait=max(0.0, (now - oldest).total_seconds()) if oldest else None,
        weibo_public_waiting=queue["weibo"],
        sla_today=by_channel,
        sla_today_overall=overall,
        agents_available=seats["available"],
        agents_working=seats["working"],
        csat_avg=csat["avg"],
        csat_count=csat["n"],
    )


def _overall(rows: list[sla.Attainment]) -> sla.Attainment:
    """Today's whole-floor figure from the per-channel rows (a conversation has one channel)."""
    met, breached = sum(r.met for r in rows), sum(r.breached for r in rows)
    total = sum(r.total for r in rows)
    return sla.Attainment(None, "", met, breached, total, round(100 * met / total, 1) if total else None)
