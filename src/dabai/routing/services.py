"""Every state change of routing and SLAs, one function each.

Decisions recorded here (issue 7):
- SLA clocks start in the ``messages_received`` handler, inside the conversation's own transaction, because
  the customer's wait starts when they write, not when our analysis finishes.
- Routing happens in the ``insights_stored`` handler, directly (no extra task): skill matching needs the
  filter's intent, and that handler already runs inside the worker's ``analyse_messages`` task, so the web
  request never pays for it. The minute sweep routes whatever is still queued (analysis failed, nobody free),
  so nothing waits forever.
- Routing writes the assignee with a queryset update and a ``RoutingDecision`` row rather than
  ``conversations.services.assign``: the decision row is the audit trail for automatic assignment and the
  batch router must stay at a few queries per thousand decisions.
"""

import csv
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import AuditEntry, Role, User
from dabai.accounts.services import record_audit
from dabai.conversations.live import publish_conversation_event
from dabai.conversations.models import Conversation, Insight, Status
from dabai.core.params import parse_id
from dabai.customers.models import Customer, Tier
from dabai.routing.assignment import Decision, Need, Router, Seat
from dabai.routing.calendar import WorkingCalendar
from dabai.routing.models import (
    AgentRouting,
    AgentState,
    BusinessHours,
    CalendarDay,
    ClockKind,
    ClockState,
    ComplaintCase,
    ComplaintStage,
    ConversationSla,
    CustomerValue,
    RoutingDecision,
    RoutingRule,
    SlaBreach,
    SlaClock,
    SlaPolicy,
    TierPolicy,
    TierSource,
)

logger = logging.getLogger(__name__)

ACTIVE = (Status.OPEN, Status.PENDING)
REPEAT_CONTACTS = 3
REPEAT_WINDOW = timedelta(days=7)
CHUNK = 900

# Used when no active SlaPolicy row matches (the initial migration stores the same targets as rows).
DEFAULT_TARGETS = {
    # channel: (first response, next response, resolution, 24/7)
    "chat": (1, 3, 240, True),
    "wechat": (5, 15, 480, True),
    "weibo": (60, 60, 1440, True),
    "phone": (1, 5, 480, True),
    "email": (240, 480, 1440, False),
    "sms": (60, 120, 960, False),
}
PUBLIC_WEIBO_FIRST_RESPONSE = 20


# ---------------------------------------------------------------------------------------------- calendars


def _overrides() -> dict[date, bool]:
    return dict(CalendarDay.objects.values_list("date", "is_workday"))


class Calendars:
    """Working calendars per team, read once per batch (hours and admin-entered days change rarely)."""

    def __init__(self) -> None:
        self.overrides = _overrides()
        self.hours = {h.team_id: h for h in BusinessHours.objects.all()}

    def get(self, team_id: int | None, always_open: bool) -> WorkingCalendar:
        hours = self.hours.get(team_id) or self.hours.get(None)
        if hours is None:
            return WorkingCalendar(always_open=always_open, overrides=self.overrides)
        return WorkingCalendar(
            tz=hours.time_zone,
            opens=hours.opens,
            closes=hours.closes,
            always_open=always_open,
            overrides=self.overrides,
        )


# ---------------------------------------------------------------------------------------------- policies


def policy_for(
    channel: str, priority: int, tier: str, is_public: bool, policies: Iterable[SlaPolicy] | None = None
) -> SlaPolicy:
    """The most specific active policy for this conversation (an unsaved default if none matches)."""
    candidates = (
        policies if policies is not None else SlaPolicy.objects.filter(is_active=True, channel=channel)
    )
    best, best_score = None, -1
    for p in candidates:
        if p.channel != channel or not p.is_active:
            continue
        if (p.priority is not None and p.priority != priority) or (p.tier and p.tier != tier):
            continue
        if p.public_only and not is_public:
            continue
        score = (p.priority is not None) * 4 + bool(p.tier) * 2 + p.public_only
        if score > best_score:
            best, best_score = p, score
    if best is not None:
        return best
    first, following, resolution, always = DEFAULT_TARGETS.get(channel, (60, 120, 1440, False))
    if channel == "weibo" and is_public:
        first = PUBLIC_WEIBO_FIRST_RESPONSE
    return SlaPolicy(
        name=f"default {channel}",
        channel=channel,
        first_response_minutes=first,
        next_response_minutes=following,
        resolution_minutes=resolution,
        always_open=always,
    )


class SlaRules:
    """Active policies and working calendars, read once: a batch then costs what one conversation does."""

    def __init__(self, channels: Iterable[str] | None = None) -> None:
        policies = SlaPolicy.objects.filter(is_active=True)
        if channels is not None:
            policies = policies.filter(channel__in=set(channels))
        self.policies = list(policies)
        self.calendars = Calendars()

    def policy(self, conversation: Conversation) -> SlaPolicy:
        return policy_for(
            conversation.channel,
            conversation.priority,
            conversation.customer.tier,
            conversation.is_public,
            self.policies,
        )


def _target(policy: SlaPolicy, kind: str) -> int:
    return {
        ClockKind.FIRST_RESPONSE: policy.first_response_minutes,
        ClockKind.NEXT_RESPONSE: policy.next_response_minutes,
        ClockKind.RESOLUTION: policy.resolution_minutes,
    }[kind]


# ---------------------------------------------------------------------------------------------- clocks


def _new_clock(
    conversation: Conversation, kind: str, at: datetime, policy: SlaPolicy, calendars: Calendars
) -> SlaClock:
    minutes = _target(policy, kind)
    due = calendars.get(conversation.team_id, policy.always_open).add(at, minutes * 60)
    return SlaClock(
        conversation=conversation,
        policy=policy if policy.pk else None,
        kind=kind,
        target_minutes=minutes,
        always_open=policy.always_open,
        started_at=at,
        due_at=due,
        warn_at=due - timedelta(minutes=policy.warn_before_minutes),
        channel=conversation.channel,
        tier=conversation.customer.tier,
        team_id=conversation.team_id,
    )


def start_clocks(conversation: Conversation, kinds: Iterable[str], at: datetime) -> list[SlaClock]:
    """Start the named clocks unless one of that kind is running or paused (idempotent)."""
    return start_clocks_for([(conversation, at, kinds)])


def start_clocks_for(
    starts: Sequence[tuple[Conversation, datetime, Iterable[str]]], rules: SlaRules | None = None
) -> list[SlaClock]:
    """``start_clocks`` for many (conversation, from when, which kinds) in a fixed number of queries.

    A webhook burst opens hundreds of conversations at once; policies, calendars and the clocks already open
    are read once, the clocks are inserted together and the inbox's deadline rows are computed in memory.
    """
    if not starts:
        return []
    rules = rules or SlaRules(c.channel for c, _, _ in starts)
    open_clocks = _open_clocks(c.pk for c, _, _ in starts)
    clocks = []
    for conversation, at, kinds in starts:
        mine = open_clocks[conversation.pk]
        started = {c.kind for c in mine}
        policy = rules.policy(conversation)
        new = [_new_clock(conversation, k, at, policy, rules.calendars) for k in kinds if k not in started]
        mine.extend(new)
        clocks.extend(new)
    SlaClock.objects.bulk_create(clocks)
    _save_slas(open_clocks)
    return clocks


def stop_clocks(conversation: Conversation, kinds: Iterable[str], at: datetime) -> int:
    """End the named clocks: met when answered in time, breached when late."""
    stopped = 0
    for clock in conversation.sla_clocks.filter(
        kind__in=list(kinds), state__in=[ClockState.RUNNING, ClockState.PAUSED]
    ):
        late = clock.breached_at is not None or (clock.state == ClockState.RUNNING and clock.due_at < at)
        clock.state = ClockState.BREACHED if late else ClockState.MET
        clock.stopped_at = at
        clock.save(update_fields=["state", "stopped_at"])
        stopped += 1
    refresh_conversation_sla(conversation.pk)
    return stopped


def pause_clocks(conversation: Conversation, at: datetime) -> int:
    """Waiting on the customer: keep the business time left, stop counting."""
    calendars = Calendars()
    paused = 0
    for clock in conversation.sla_clocks.filter(state=ClockState.RUNNING):
        calendar = calendars.get(clock.team_id, clock.always_open)
        clock.remaining_seconds = calendar.between(at, clock.due_at)
        clock.state, clock.paused_at = ClockState.PAUSED, at
        clock.save(update_fields=["remaining_seconds", "state", "paused_at"])
        paused += 1
    refresh_conversation_sla(conversation.pk)
    return paused


def resume_clocks(conversation: Conversation, at: datetime) -> int:
    """The customer is back: the time left runs again from ``at`` on the same calendar."""
    calendars = Calendars()
    resumed = 0
    for clock in conversation.sla_clocks.filter(state=ClockState.PAUSED):
        calendar = calendars.get(clock.team_id, clock.always_open)
        remaining = clock.remaining_seconds or 0.0
        clock.due_at = calendar.add(at, remaining) if remaining > 0 else at + timedelta(seconds=remaining)
        warn = clock.policy.warn_before_minutes if clock.policy else 5
        clock.warn_at = clock.due_at - timedelta(minutes=warn)
        clock.state, clock.paused_at, clock.remaining_seconds = ClockState.RUNNING, None, None
        clock.save(update_fields=["due_at", "warn_at", "state", "paused_at", "remaining_seconds"])
        resumed += 1
    refresh_conversation_sla(conversation.pk)
    return resumed


TIGHTENED = ["due_at", "warn_at", "warned_at", "target_minutes", "policy"]


def _tighten(clocks: Iterable[SlaClock], kind: str, due_at: datetime) -> list[SlaClock]:
    """Bring running deadlines of ``kind`` forward to ``due_at`` (never back) in memory; returns the moved."""
    moved = []
    for clock in clocks:
        if clock.kind == kind and clock.state == ClockState.RUNNING and clock.due_at > due_at:
            shift = clock.due_at - clock.warn_at
            clock.due_at, clock.warn_at, clock.warned_at = due_at, due_at - shift, None
            moved.append(clock)
    return moved


def tighten_clock(conversation: Conversation, kind: str, due_at: datetime) -> None:
    """Bring a running deadline forward (never back), e.g. when a complaint case opens."""
    open_clocks = _open_clocks([conversation.pk])
    SlaClock.objects.bulk_update(_tighten(open_clocks[conversation.pk], kind, due_at), TIGHTENED)
    _save_slas(open_clocks)


def retarget_clocks(conversation: Conversation) -> None:
    """After the filter raised the priority, a stricter policy may apply: bring running deadlines forward."""
    retarget_clocks_for([conversation])


def retarget_clocks_for(conversations: Sequence[Conversation], rules: SlaRules | None = None) -> None:
    """``retarget_clocks`` for a batch: one read of the running clocks, writes only for those that tighten."""
    by_id = {c.pk: c for c in conversations}
    if not by_id:
        return
    rules = rules or SlaRules(c.channel for c in conversations)
    open_clocks = _open_clocks(by_id)
    changed: dict[int, SlaClock] = {}
    retargeted: dict[int, list[SlaClock]] = {}
    for conversation_id, clocks in open_clocks.items():
        policy = rules.policy(by_id[conversation_id])
        for clock in [c for c in clocks if c.state == ClockState.RUNNING and c.remaining_seconds is None]:
            target = _target(policy, clock.kind)
            if target >= clock.target_minutes:
                continue
            due = rules.calendars.get(clock.team_id, policy.always_open).add(clock.started_at, target * 60)
            changed.update((c.pk, c) for c in _tighten(clocks, clock.kind, due))
            clock.target_minutes, clock.policy = target, policy if policy.pk else None
            changed[clock.pk] = clock
            retargeted[conversation_id] = clocks
    SlaClock.objects.bulk_update(list(changed.values()), TIGHTENED)
    _save_slas(retargeted)


def _open_clocks(conversation_ids: Iterable[int]) -> dict[int, list[SlaClock]]:
    """Running and paused clocks per conversation (every given id present), nearest deadline first."""
    by_conversation: dict[int, list[SlaClock]] = {pk: [] for pk in conversation_ids}
    for clock in SlaClock.objects.filter(
        conversation_id__in=list(by_conversation), state__in=[ClockState.RUNNING, ClockState.PAUSED]
    ).order_by("due_at"):
        by_conversation[clock.conversation_id].append(clock)
    return by_conversation


def _sla_row(conversation_id: int, clocks: Iterable[SlaClock]) -> ConversationSla:
    """The inbox row of one conversation from its open (running or paused) clocks."""
    clocks = list(clocks)
    running = [c for c in clocks if c.state == ClockState.RUNNING]
    nearest = min(running, key=lambda c: c.due_at) if running else None
    return ConversationSla(
        conversation_id=conversation_id,
        next_due_at=nearest.due_at if nearest else None,
        next_kind=nearest.kind if nearest else "",
        warn_at=nearest.warn_at if nearest else None,
        is_paused=bool(clocks) and not running,
        breached=any(c.breached_at is not None for c in running),
    )


def _save_slas(clocks_by_conversation: Mapping[int, Iterable[SlaClock]]) -> list[ConversationSla]:
    """Write the inbox rows of many conversations with one upsert (insert, or update the existing row)."""
    rows = [_sla_row(pk, clocks) for pk, clocks in clocks_by_conversation.items()]
    return ConversationSla.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["conversation"],
        update_fields=["next_due_at", "next_kind", "warn_at", "is_paused", "breached"],
    )


def refresh_conversation_sla(conversation_id: int) -> ConversationSla:
    """Recompute the nearest deadline the inbox sorts by."""
    return _save_slas(_open_clocks([conversation_id]))[0]


# ---------------------------------------------------------------------------------------------- sweep


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    conversations: set[int] = field(default_factory=set)


def _supervisors_by_team() -> tuple[dict[int, int], int | None]:
    by_team: dict[int, int] = {}
    fallback = None
    for user_id, team_id in (
        User.objects.filter(role=Role.SUPERVISOR, is_active=True)
        .values_list("id", "agent_profile__teams")
        .order_by("id")
    ):
        fallback = fallback or user_id
        if team_id is not None:
            by_team.setdefault(team_id, user_id)
    if fallback is None:
        fallback = (
            User.objects.filter(role=Role.ADMIN, is_active=True)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
    return by_team, fallback


def sweep_slas(now: datetime | None = None) -> SweepResult:
    """Warn before a breach, record and escalate breaches: a few set-based queries whatever the volume."""
    now = now or timezone.now()
    result = SweepResult()
    with transaction.atomic():
        warn_qs = SlaClock.objects.filter(
            state=ClockState.RUNNING, warn_at__lte=now, due_at__gt=now, warned_at__isnull=True
        )
        warned = list(warn_qs.values_list("id", "conversation_id"))
        if warned:
            result.warned = warn_qs.update(warned_at=now)
        due = list(
            SlaClock.objects.filter(
                state=ClockState.RUNNING, due_at__lte=now, breached_at__isnull=True
            ).values_list("id", "conversation_id", "kind", "team_id", "target_minutes")
        )
        if due:
            by_team, fallback = _supervisors_by_team()
            labels = dict(ClockKind.choices)
            for start in range(0, len(due), CHUNK):
                part = due[start : start + CHUNK]
                SlaClock.objects.filter(id__in=[row[0] for row in part]).update(breached_at=now)
                ConversationSla.objects.filter(conversation_id__in=[row[1] for row in part]).update(
                    breached=True
                )
            SlaBreach.objects.bulk_create(
                [
                    SlaBreach(
                        clock_id=clock_id,
                        conversation_id=conversation_id,
                        at=now,
                        reason=_("%(kind)s target of %(minutes)d minutes passed")
                        % {"kind": labels[kind], "minutes": minutes},
                        escalated_to_id=by_team.get(team_id, fallback),
                    )
                    for clock_id, conversation_id, kind, team_id, minutes in due
                ],
                batch_size=1000,
                ignore_conflicts=True,
            )
            result.breached = len(due)
        result.conversations = {row[1] for row in warned} | {row[1] for row in due}
    for conversation_id in list(result.conversations)[:200]:
        publish_conversation_event(conversation_id, "sla.changed")
    return result


# ---------------------------------------------------------------------------------------------- routing


def _language(text: str) -> str:
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(ch.isascii() for ch in letters)
    return "en" if letters and latin / len(letters) > 0.7 else "zh"


def load_seats(team_ids: Iterable[int] | None = None) -> list[Seat]:
    """Available agents with their skills, teams and current load (open and pending conversations)."""
    profiles = (
        AgentRouting.objects.filter(state=AgentState.AVAILABLE, user__is_active=True, user__role=Role.AGENT)
        .select_related("user")
        .prefetch_related("skills", "user__agent_profile__teams")
    )
    if team_ids is not None:
        profiles = profiles.filter(user__agent_profile__teams__in=list(team_ids)).distinct()
    seats = {}
    for p in profiles:
        agent_profile = getattr(p.user, "agent_profile", None)
        seats[p.user_id] = Seat(
            user_id=p.user_id,
            name=str(p.user),
            team_ids=frozenset(t.pk for t in agent_profile.teams.all()) if agent_profile else frozenset(),
            skills=frozenset((s.kind, s.code) for s in p.skills.all()),
            is_expert=p.is_expert_seat,
            default_capacity=p.default_capacity,
            channel_capacity={k: int(v) for k, v in (p.channel_capacity or {}).items()},
            last_assigned_at=p.last_assigned_at,
        )
    loads = (
        Conversation.objects.filter(status__in=ACTIVE, assignee_id__in=list(seats))
        .values_list("assignee_id", "channel")
        .annotate(n=Count("id"))
    )
    for user_id, channel, n in loads:
        seats[user_id].load[channel] = n
    return list(seats.values())


def _expert_tiers() -> set[str]:
    return set(TierPolicy.objects.filter(routes_to_expert_seat=True).values_list("tier", flat=True))


def _latest_intent():
    return Subquery(
        Insight.objects.filter(message__conversation=OuterRef("pk"))
        .order_by("-message__sent_at", "-message_id")
        .values("intent")[:1]
    )


def _write_assignees(rows: list[tuple[int, int, int | None]]) -> None:
    """Set (conversation, agent, team) rows with one UPDATE … FROM (VALUES …) per chunk.

    Standard SQL that PostgreSQL and SQLite (3.33+) both run; one statement per agent would cost thousands of
    round trips per batch. The ``assignee_id IS NULL`` guard lets an agent who picked the conversation
    meanwhile keep it.
    """
    table = connection.ops.quote_name(Conversation._meta.db_table)
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        values = ", ".join(["(CAST(%s AS bigint), CAST(%s AS bigint), CAST(%s AS bigint))"] * len(part))
        sql = (
            f"UPDATE {table} SET assignee_id = v.column2, team_id = v.column3 "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1 AND {table}.assignee_id IS NULL"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for row in part for value in row])


def _stamp_last_assigned(last: dict[int, datetime]) -> None:
    """Write each seat's last-assignment time (round robin's order) with one UPDATE per chunk of seats."""
    users = list(last)
    for start in range(0, len(users), CHUNK):
        ids = users[start : start + CHUNK]
        times = {last[u] for u in ids}
        whens = [When(user_id=u, then=Value(last[u])) for u in ids]
        stamp = times.pop() if len(times) == 1 else Case(*whens, output_field=models.DateTimeField())
        AgentRouting.objects.filter(user_id__in=ids).update(last_assigned_at=stamp)


def _apply(decisions: list[tuple[int, int | None, Decision]], at: datetime, record_queued: bool) -> None:
    """Write assignees, each seat's last-assigned time and the decision rows in bulk."""
    assigned = [(cid, team_id, d) for cid, team_id, d in decisions if d.seat is not None]
    _write_assignees(
        [
            (cid, d.seat.user_id, team_id if team_id is not None else min(d.seat.team_ids, default=None))
            for cid, team_id, d in assigned
        ]
    )
    _stamp_last_assigned({d.seat.user_id: d.seat.last_assigned_at or at for _, _, d in assigned})
    RoutingDecision.objects.bulk_create(
        [
            RoutingDecision(
                conversation_id=cid,
                agent_id=d.seat.user_id if d.seat else None,
                rule=d.rule,
                reason=d.reason[:300],
                at=at,
            )
            for cid, _, d in decisions
            if d.seat is not None or record_queued
        ],
        batch_size=2000,
    )


def _need(
    channel: str, team_id: int | None, intent: str | None, preview: str, tier: str, expert_tiers: set[str]
) -> Need:
    """What a conversation asks of its agent, from the columns both the single and the bulk router read."""
    return Need(channel, team_id, intent or "", _language(preview), tier in expert_tiers)


def route(conversation: Conversation, *, rule_override: str | None = None) -> Decision:
    """Choose an agent for one unassigned conversation and record why (or that it stays queued)."""
    intent = (
        Insight.objects.filter(message__conversation=conversation)
        .order_by("-message__sent_at", "-message_id")
        .values_list("intent", flat=True)
        .first()
    )
    return route_many([(conversation, intent or "")], rule_override=rule_override)[0]


def route_many(
    items: Sequence[tuple[Conversation, str]], *, rule_override: str | None = None
) -> list[Decision]:
    """Route unassigned conversations, each with the intent of its latest message, and record why."""
    batch = BatchRouter({c.team_id for c, _ in items})
    decisions = [batch.decide(c, intent, rule_override) for c, intent in items]
    batch.write()
    return decisions


class BatchRouter:
    """Routes a batch as one ``route`` call per conversation would, with one read of the seats and one write.

    Decisions are made in memory in the batch's order: the router keeps each seat's load current, and
    decisions are stamped a microsecond apart so round robin sees them in order, as separate calls did.
    ``hand_over`` keeps the loads right when a complaint case gives a conversation to its expert owner.
    """

    def __init__(self, team_ids: set[int | None]) -> None:
        self.now = timezone.now()
        self.router = Router(load_seats(None if None in team_ids else team_ids) if team_ids else [])
        self.seats = {s.user_id: s for s in self.router.seats}
        self.expert_tiers = _expert_tiers() if team_ids else set()
        self.decided: list[tuple[Conversation, Decision]] = []

    def decide(self, c: Conversation, intent: str, rule_override: str | None = None) -> Decision:
        """Choose an agent (assignee and team are set on ``c`` at once; ``write`` reads them back)."""
        need = _need(c.channel, c.team_id, intent, c.preview, c.customer.tier, self.expert_tiers)
        decision = self.router.decide(need, self.now + timedelta(microseconds=len(self.decided)))
        if decision.seat is not None:
            if rule_override:
                decision = Decision(decision.seat, rule_override, decision.reason)
            c.assignee_id = decision.seat.user_id
            c.team_id = c.team_id if c.team_id is not None else min(decision.seat.team_ids, default=None)
        self.decided.append((c, decision))
        return decision

    def hand_over(self, c: Conversation, old: int | None, new: int) -> None:
        """``c`` went from ``old`` to ``new`` outside the router: the loads follow, as a fresh read would."""
        if c.status not in ACTIVE:
            return
        for user_id, change in ((old, -1), (new, 1)):
            if user_id in self.seats:
                load = self.seats[user_id].load
                load[c.channel] = load.get(c.channel, 0) + change

    def write(self) -> None:
        """Assignees, seats and decision rows in bulk; then the assignees as stored (an agent may have been
        quicker) are read back onto the conversations, and the assigned ones announced after commit."""
        if not self.decided:
            return
        with transaction.atomic():
            _apply([(c.pk, c.team_id, d) for c, d in self.decided], self.now, record_queued=True)
        by_id = {c.pk: c for c, _ in self.decided}
        for pk, assignee_id, team_id in Conversation.objects.filter(pk__in=list(by_id)).values_list(
            "id", "assignee_id", "team_id"
        ):
            by_id[pk].assignee_id, by_id[pk].team_id = assignee_id, team_id
        for c, decision in self.decided:
            if decision.seat is not None:
                publish_conversation_event(c.pk, "conversation.assigned")


def route_queued(*, batch_size: int = 5000, limit: int | None = None) -> int:
    """Route every open, unassigned conversation, oldest first; returns how many were assigned.

    Conversations nobody can take stay queued without a new decision row each minute (their first
    ``route`` already recorded why).
    """
    now = timezone.now()
    router = Router(load_seats())
    expert_tiers = _expert_tiers()
    assigned, last_id, seen = 0, 0, 0
    while limit is None or seen < limit:
        rows = list(
            Conversation.objects.filter(status=Status.OPEN, assignee__isnull=True, id__gt=last_id)
            .order_by("id")
            .annotate(intent=_latest_intent())
            .values_list("id", "channel", "team_id", "customer__tier", "preview", "intent")[:batch_size]
        )
        if not rows:
            break
        decisions = []
        for cid, channel, team_id, tier, preview, intent in rows:
            need = _need(channel, team_id, intent, preview, tier, expert_tiers)
            decisions.append((cid, team_id, router.decide(need, now)))
        with transaction.atomic():
            _apply(decisions, now, record_queued=False)
        assigned += sum(1 for *_, d in decisions if d.seat is not None)
        seen += len(rows)
        last_id = rows[-1][0]
    return assigned


def set_agent_state(agent: User, state: str, *, actor: User) -> int:
    """Pause (break, training), resume or sign off an agent; going offline hands their open work to others.

    Returns how many conversations were reassigned.
    """
    if state not in AgentState.values:
        raise ValueError(f"unknown agent state {state!r}")
    seat, _ = AgentRouting.objects.get_or_create(user=agent)
    old = seat.state
    seat.state, seat.state_changed_at = state, timezone.now()
    seat.save(update_fields=["state", "state_changed_at"])
    record_audit(actor, "routing.agent_state", seat, {"from": old, "to": state, "agent": agent.pk})
    if state != AgentState.OFFLINE:
        return 0
    moved = 0
    for conversation in Conversation.objects.filter(assignee=agent, status=Status.OPEN).select_related(
        "customer"
    ):
        Conversation.objects.filter(pk=conversation.pk).update(assignee=None)
        conversation.assignee = None
        decision = route(conversation, rule_override=RoutingRule.REASSIGNED)
        moved += decision.seat is not None
    return moved


# ---------------------------------------------------------------------------------------------- tiers


def tier_by_rules(
    annual_spend: Decimal, customer_since: date | None, today: date, rules: list[TierPolicy]
) -> str:
    years = (today - customer_since).days // 365 if customer_since else 0
    for rule in sorted(rules, key=lambda r: -r.rank):
        if annual_spend >= rule.min_annual_spend and years >= rule.min_years:
            return rule.tier
    return Tier.REGULAR


def apply_tier_rules(today: date | None = None) -> int:
    """Re-tier customers whose tier comes from the rules (hand-set and imported tiers stay)."""
    today = today or timezone.localdate()
    rules = list(TierPolicy.objects.all())
    changed = 0
    for value in CustomerValue.objects.filter(tier_source=TierSource.RULE).select_related("customer"):
        tier = tier_by_rules(value.annual_spend, value.customer_since, today, rules)
        if value.customer.tier != tier:
            Customer.objects.filter(pk=value.customer_id).update(tier=tier)
            changed += 1
    return changed


def set_customer_tier(
    customer: Customer, tier: str, *, actor: User | None, source: str = TierSource.MANUAL
) -> None:
    """Set a tier by hand (or import): the rules will not overwrite it."""
    if tier not in Tier.values:
        raise ValueError(f"unknown tier {tier!r}")
    old = customer.tier
    customer.tier = tier
    customer.save(update_fields=["tier"])
    CustomerValue.objects.update_or_create(customer=customer, defaults={"tier_source": source})
    record_audit(actor, "routing.customer_tier", customer, {"from": old, "to": tier, "source": source})


@dataclass
class TierImport:
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


# The yearly spend as the model stores it: finite, at least 0, at most 12 digits of which two decimals.
_SPEND = CustomerValue._meta.get_field("annual_spend").formfield(min_value=0, localize=False)


def import_tiers(text: str, *, actor: User | None) -> TierImport:
    """Import ``customer_id,tier[,annual_spend]`` rows; bad rows reported by line, good rows import."""
    result = TierImport()
    labels = {p.label: p.tier for p in TierPolicy.objects.all()}
    reader = csv.DictReader(io.StringIO(text))
    for line, row in enumerate(reader, start=2):
        raw_id, raw_tier = (row.get("customer_id") or "").strip(), (row.get("tier") or "").strip()
        tier = labels.get(raw_tier, raw_tier.lower())
        customer_id = parse_id(raw_id)
        customer = Customer.objects.filter(pk=customer_id).first() if customer_id is not None else None
        if customer is None:
            result.errors.append((line, _("unknown customer %(id)r") % {"id": raw_id}))
            continue
        if tier not in Tier.values:
            result.errors.append((line, _("unknown tier %(tier)r") % {"tier": raw_tier}))
            continue
        raw_spend = (row.get("annual_spend") or "").strip()
        try:
            spend = _SPEND.clean(raw_spend) if raw_spend else None
        except ValidationError as exc:  # NaN, Infinity, 1e40, negative, more than two decimals
            result.errors.append((line, _("annual spend: %(error)s") % {"error": " ".join(exc.messages)}))
            continue
        set_customer_tier(customer, tier, actor=actor, source=TierSource.IMPORT)
        if spend is not None:
            CustomerValue.objects.filter(customer=customer).update(annual_spend=spend)
        result.updated += 1
    return result


# ---------------------------------------------------------------------------------------------- complaints


def recent_contacts(customer_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Conversations each customer opened within the repeat window: one grouped COUNT for a whole batch."""
    rows = (
        Conversation.objects.filter(customer_id__in=set(customer_ids), created_at__gte=now - REPEAT_WINDOW)
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    return dict(rows)


def complaint_triggers(
    conversation: Conversation, insight: Insight, now: datetime, contacts: Mapping[int, int] | None = None
) -> list[str]:
    """Why this message makes a hard complaint: escalation risk, a regulator named, or repeated contact.

    ``contacts`` (from ``recent_contacts``) lets a batch count every customer's contacts in one query.
    """
    triggers = []
    if insight.escalation_risk:
        triggers.append("escalation_risk")
    cues = (insight.analysis.get("why") or {}).get("escalation") or []
    if any(c.get("category") == "esc_regulator" for c in cues if isinstance(c, dict)):
        triggers.append("regulator")
    if contacts is None:
        contacts = recent_contacts([conversation.customer_id], now)
    if contacts.get(conversation.customer_id, 0) >= REPEAT_CONTACTS:
        triggers.append("repeated_contact")
    return triggers


class SeniorOwners:
    """Who may own complaint cases, read once per batch: available expert seats with their open cases and
    teams, and the supervisors by team. Handing out a case counts it at once, so the next case of the same
    batch goes to the expert who now has the fewest."""

    def __init__(self) -> None:
        open_cases = Count("owned_complaints", filter=~Q(owned_complaints__stage=ComplaintStage.CONFIRMED))
        self.cases: dict[int, int] = {}
        self.teams: dict[int, set[int]] = {}
        for user_id, team_id, cases in (
            User.objects.filter(
                is_active=True, routing__is_expert_seat=True, routing__state=AgentState.AVAILABLE
            )
            .order_by()
            .values_list("id", "agent_profile__teams")
            .annotate(cases=open_cases)
        ):
            self.cases[user_id] = cases
            self.teams.setdefault(user_id, set()).add(team_id)
        self.by_team, self.fallback = _supervisors_by_team()

    def take(self, team_id: int | None) -> tuple[int | None, bool]:
        """The expert seat (of the team, if any) with the fewest open cases, else the team's supervisor."""
        experts = [u for u in self.cases if team_id is None or team_id in self.teams[u]]
        if not experts:
            return self.by_team.get(team_id, self.fallback), False
        expert = min(experts, key=lambda u: (self.cases[u], u))
        self.cases[expert] += 1
        return expert, True


def _audit_system(action: str, entries: Iterable[tuple[models.Model, dict]]) -> None:
    """Audit entries written by the system (no actor, no request) for a whole batch in one INSERT.

    Same rows as ``accounts.services.record_audit``, which writes one row per call and has no bulk form.
    """
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk), detail=detail)
            for obj, detail in entries
        ]
    )


def open_complaint(conversation: Conversation, triggers: list[str], now: datetime) -> ComplaintCase | None:
    """Open a complaint case (once per conversation) with a senior owner and halved deadlines."""
    batch = ComplaintBatch([conversation], now)
    case = batch.open(conversation, triggers)
    batch.write()
    return case


class ComplaintBatch:
    """Opens complaint cases as separate ``open_complaint`` calls would, in a fixed number of queries.

    Existing cases, owners, policies, calendars and clocks are read once; ``open`` decides in memory (in the
    batch's order, so owners' open-case counts stay fair); ``write`` stores everything in bulk.
    """

    def __init__(
        self, conversations: Sequence[Conversation], now: datetime, rules: SlaRules | None = None
    ) -> None:
        ids = {c.pk for c in conversations}
        self.now = now
        self.taken = set(
            ComplaintCase.objects.filter(conversation_id__in=ids).values_list("conversation_id", flat=True)
        )
        new = ids - self.taken
        # Nothing more to read when every conversation has its case already.
        self.owners = SeniorOwners() if new else None
        self.rules = rules or (SlaRules(c.channel for c in conversations) if new else None)
        self.clocks = _open_clocks(new) if new else {}
        self.cases: list[ComplaintCase] = []
        self.moved: dict[int, SlaClock] = {}
        self.handed: list[tuple[Conversation, int]] = []
        self.decisions: list[RoutingDecision] = []

    def open(self, conversation: Conversation, triggers: list[str]) -> ComplaintCase | None:
        """The new case, or None if the conversation has one; an expert owner takes the conversation too."""
        if conversation.pk in self.taken or self.owners is None or self.rules is None:
            return None
        self.taken.add(conversation.pk)
        owner_id, is_expert = self.owners.take(conversation.team_id)
        policy = self.rules.policy(conversation)
        calendar = self.rules.calendars.get(conversation.team_id, policy.always_open)
        case = ComplaintCase(
            conversation=conversation,
            customer_id=conversation.customer_id,
            triggers=triggers,
            owner_id=owner_id,
            opened_at=self.now,
            due_at=calendar.add(self.now, policy.resolution_minutes * 30),
        )
        self.cases.append(case)
        clocks = self.clocks[conversation.pk]
        first_due = calendar.add(self.now, policy.first_response_minutes * 30)
        self.moved.update((c.pk, c) for c in _tighten(clocks, ClockKind.FIRST_RESPONSE, first_due))
        self.moved.update((c.pk, c) for c in _tighten(clocks, ClockKind.RESOLUTION, case.due_at))
        if is_expert and owner_id is not None and conversation.assignee_id != owner_id:
            conversation.assignee_id = owner_id
            self.handed.append((conversation, owner_id))
            self.decisions.append(
                RoutingDecision(
                    conversation=conversation,
                    agent_id=owner_id,
                    rule=RoutingRule.COMPLAINT,
                    reason=_("complaint case: %(why)s") % {"why": ", ".join(triggers)},
                    at=self.now,
                )
            )
        return case

    def write(self) -> None:
        """Cases, tightened clocks, deadline rows, hand-overs, decisions and audit entries in bulk."""
        if not self.cases:
            return
        ComplaintCase.objects.bulk_create(self.cases)
        SlaClock.objects.bulk_update(list(self.moved.values()), TIGHTENED)
        _save_slas({case.conversation_id: self.clocks[case.conversation_id] for case in self.cases})
        Conversation.objects.bulk_update(
            [Conversation(pk=c.pk, assignee_id=owner_id) for c, owner_id in self.handed], ["assignee"]
        )
        for c, owner_id in self.handed:
            c.assignee_id = owner_id
        RoutingDecision.objects.bulk_create(self.decisions)
        opened = [(case, {"triggers": case.triggers, "owner": case.owner_id}) for case in self.cases]
        _audit_system("routing.complaint_opened", opened)
        for case in self.cases:
            publish_conversation_event(case.conversation_id, "complaint.opened")


STAGE_ORDER = list(ComplaintStage.values)


def advance_complaint(case: ComplaintCase, stage: str, *, actor: User) -> None:
    """Move a case forward through received → investigating → resolved → confirmed with the customer."""
    if stage not in STAGE_ORDER or STAGE_ORDER.index(stage) <= STAGE_ORDER.index(case.stage):
        raise ValueError(f"cannot move a {case.stage} case to {stage!r}")
    old = case.stage
    now = timezone.now()
    case.stage = stage
    if stage in {ComplaintStage.RESOLVED, ComplaintStage.CONFIRMED}:
        case.resolved_at = case.resolved_at or now
    if stage == ComplaintStage.CONFIRMED:
        case.confirmed_at = now
    case.save(update_fields=["stage", "resolved_at", "confirmed_at"])
    record_audit(actor, "routing.complaint_stage", case, {"from": old, "to": stage})
    publish_conversation_event(case.conversation_id, "complaint.stage")


def start_missing_clocks(limit: int = 500) -> int:
    """Safety net for the sweep: active conversations whose clocks never started get them now."""
    started = 0
    for conversation in conversations_without_clocks()[:limit]:
        kind = ClockKind.FIRST_RESPONSE if conversation.first_response_at is None else ClockKind.NEXT_RESPONSE
        at = conversation.last_inbound_at or conversation.last_message_at
        start_clocks(conversation, [kind, ClockKind.RESOLUTION], at)
        if conversation.status == Status.PENDING:
            pause_clocks(conversation, at)
        started += 1
    return started


def conversations_without_clocks() -> QuerySet[Conversation]:
    """Active conversations that never got a clock (e.g. loaded before routing existed)."""
    has_clock = SlaClock.objects.filter(conversation=OuterRef("pk"))
    return (
        Conversation.objects.filter(status__in=ACTIVE)
        .annotate(has_clock=Exists(has_clock))
        .filter(has_clock=False)
        .select_related("customer")
    )
