"""SLA clocks: policies, working calendars, and starting, stopping, pausing, resuming, tightening and
re-targeting clocks, with the inbox's one-row-per-conversation deadline (``ConversationSla``).

Its own module because every other part of routing leans on it (complaint cases halve deadlines, the sweep
breaches them) while it leans on none of them.

Decision (issue 7): clocks start in the ``messages_received`` receiver, inside the conversation's own
transaction, because the customer's wait starts when they write, not when our analysis finishes.
"""

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from dabai.conversations.models import Conversation
from dabai.core.bulk import insert_rows, update_rows
from dabai.routing.calendar import WorkingCalendar
from dabai.routing.models import (
    BusinessHours,
    CalendarDay,
    ClockKind,
    ClockState,
    ConversationSla,
    SlaClock,
    SlaPolicy,
)

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
    """Working calendars per team, read once per batch (hours and admin-entered days change rarely); each
    (team, 24/7 or not) calendar is made once, so its days' windows are worked out once for the batch."""

    def __init__(self) -> None:
        self.overrides = _overrides()
        self.hours = {h.team_id: h for h in BusinessHours.objects.all()}
        self.made: dict[tuple[int | None, bool], WorkingCalendar] = {}

    def get(self, team_id: int | None, always_open: bool) -> WorkingCalendar:
        key = (team_id, always_open)
        if key not in self.made:
            self.made[key] = self._make(team_id, always_open)
        return self.made[key]

    def _make(self, team_id: int | None, always_open: bool) -> WorkingCalendar:
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
    starts: Sequence[tuple[Conversation, datetime, Iterable[str]]],
    rules: SlaRules | None = None,
    *,
    resuming: Collection[int] = (),
    resumed_at: datetime | None = None,
) -> list[SlaClock]:
    """``start_clocks`` for many (conversation, from when, which kinds) in a fixed number of queries.

    A webhook burst opens hundreds of conversations at once; policies, calendars and the clocks already open
    are read once, the clocks are inserted together and the inbox's deadline rows are computed in memory.
    The paused clocks of the conversations in ``resuming`` (the customer we waited on wrote) first run again
    from ``resumed_at``, as ``resume_clocks`` would, within the same read and one more write.
    """
    if not starts and not resuming:
        return []
    rules = rules or SlaRules(c.channel for c, _, _ in starts)
    open_clocks = _open_clocks({c.pk for c, _, _ in starts} | set(resuming), with_policy=bool(resuming))
    if resuming:
        _resume(open_clocks, resuming, resumed_at or timezone.now(), rules.calendars)
    clocks = []
    for conversation, at, kinds in starts:
        mine = open_clocks[conversation.pk]
        started = {c.kind for c in mine}
        policy = rules.policy(conversation)
        new = [_new_clock(conversation, k, at, policy, rules.calendars) for k in kinds if k not in started]
        mine.extend(new)
        clocks.extend(new)
    insert_rows(SlaClock, clocks)
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

    def pause(clock: SlaClock, calendar: WorkingCalendar) -> None:
        clock.remaining_seconds = calendar.between(at, clock.due_at)
        clock.state, clock.paused_at = ClockState.PAUSED, at

    return _switch_clocks(
        conversation, ClockState.RUNNING, pause, ["remaining_seconds", "state", "paused_at"]
    )


def resume_clocks(conversation: Conversation, at: datetime) -> int:
    """The customer is back: the time left runs again from ``at`` on the same calendar."""
    open_clocks = _open_clocks([conversation.pk], with_policy=True)
    resumed = _resume(open_clocks, [conversation.pk], at, Calendars())
    _save_slas(open_clocks)
    return resumed


RESUMED = ["due_at", "warn_at", "state", "paused_at", "remaining_seconds"]


def _resume(
    open_clocks: Mapping[int, list[SlaClock]],
    conversation_ids: Iterable[int],
    at: datetime,
    calendars: Calendars,
) -> int:
    """Run the paused clocks of these conversations again from ``at`` (in ``open_clocks``, read with their
    policies) and write them in one statement; returns how many resumed. Deadline rows are the caller's."""
    resumed = []
    for conversation_id in set(conversation_ids):
        for clock in open_clocks.get(conversation_id, []):
            if clock.state != ClockState.PAUSED:
                continue
            remaining = clock.remaining_seconds or 0.0
            calendar = calendars.get(clock.team_id, clock.always_open)
            clock.due_at = calendar.add(at, remaining) if remaining > 0 else at + timedelta(seconds=remaining)
            warn = clock.policy.warn_before_minutes if clock.policy else 5
            clock.warn_at = clock.due_at - timedelta(minutes=warn)
            clock.state, clock.paused_at, clock.remaining_seconds = ClockState.RUNNING, None, None
            resumed.append(clock)
    update_rows(SlaClock, RESUMED, [[c.pk, *(getattr(c, f) for f in RESUMED)] for c in resumed])
    return len(resumed)


def _switch_clocks(
    conversation: Conversation,
    state: str,
    switch: Callable[[SlaClock, WorkingCalendar], None],
    fields: list[str],
) -> int:
    """Pause: ``switch`` each of the conversation's clocks in ``state`` on its own calendar, save ``fields``,
    then the inbox row; returns how many clocks switched."""
    calendars = Calendars()
    switched = 0
    for clock in conversation.sla_clocks.filter(state=state):
        switch(clock, calendars.get(clock.team_id, clock.always_open))
        clock.save(update_fields=fields)
        switched += 1
    refresh_conversation_sla(conversation.pk)
    return switched


TIGHTENED = ["due_at", "warn_at", "warned_at", "target_minutes", "policy"]


def write_tightened(clocks: Iterable[SlaClock]) -> None:
    """Store moved deadlines (``TIGHTENED``) in one ``UPDATE … FROM (VALUES …)`` (``bulk_update`` builds a
    ``CASE`` per field and row in Python, which cost more than the rest of a batch of complaint cases)."""
    rows = [[c.pk, c.due_at, c.warn_at, c.warned_at, c.target_minutes, c.policy_id] for c in clocks]
    update_rows(SlaClock, TIGHTENED, rows)


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
    write_tightened(_tighten(open_clocks[conversation.pk], kind, due_at))
    _save_slas(open_clocks)


def retarget_clocks(conversation: Conversation) -> None:
    """After the filter raised the priority, a stricter policy may apply: bring running deadlines forward."""
    retarget_clocks_for([conversation])


def retarget_clocks_for(
    conversations: Sequence[Conversation], rules: SlaRules | None = None
) -> dict[int, list[SlaClock]]:
    """``retarget_clocks`` for a batch: one read of the running clocks, writes only for those that tighten.

    Returns the open clocks per conversation as they now stand, for the next step of the same batch
    (complaint cases tighten them again) to use instead of reading them anew.
    """
    by_id = {c.pk: c for c in conversations}
    if not by_id:
        return {}
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
    write_tightened(changed.values())
    _save_slas(retargeted)
    return open_clocks


def _open_clocks(conversation_ids: Iterable[int], *, with_policy: bool = False) -> dict[int, list[SlaClock]]:
    """Running and paused clocks per conversation (every given id present), nearest deadline first; with
    their policies when they are to resume (the warning comes from the policy)."""
    by_conversation: dict[int, list[SlaClock]] = {pk: [] for pk in conversation_ids}
    clocks = SlaClock.objects.filter(
        conversation_id__in=list(by_conversation), state__in=[ClockState.RUNNING, ClockState.PAUSED]
    ).order_by("due_at")
    for clock in clocks.select_related("policy") if with_policy else clocks:
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


SLA_FIELDS = ["next_due_at", "next_kind", "warn_at", "is_paused", "breached"]
# Rows per upsert statement: six parameters a row stays under SQLite's 32,766 (PostgreSQL takes 65,535).
SLA_CHUNK = 5000


def _save_slas(clocks_by_conversation: Mapping[int, Iterable[SlaClock]]) -> list[ConversationSla]:
    """Write the inbox rows of many conversations with one upsert (insert, or update the existing row).

    Plain ``INSERT … ON CONFLICT … DO UPDATE`` (PostgreSQL and SQLite): ``bulk_create(update_conflicts=…)``
    compiles every value of every row through the ORM, which cost more than the statement itself, and on
    SQLite it split a batch of two hundred rows into chunks of 999 parameters.
    """
    rows = [_sla_row(pk, clocks) for pk, clocks in clocks_by_conversation.items()]
    meta = ConversationSla._meta
    fields = [meta.get_field("conversation"), *(meta.get_field(name) for name in SLA_FIELDS)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    updates = ", ".join(f"{quote(f.column)} = excluded.{quote(f.column)}" for f in fields[1:])
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for start in range(0, len(rows), SLA_CHUNK):
        part = rows[start : start + SLA_CHUNK]
        values = ", ".join([placeholder] * len(part))
        params = [f.get_db_prep_save(getattr(row, f.attname), connection) for row in part for f in fields]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values} "
                f"ON CONFLICT ({quote(fields[0].column)}) DO UPDATE SET {updates}",
                params,
            )
    return rows


def refresh_conversation_sla(conversation_id: int) -> ConversationSla:
    """Recompute the nearest deadline the inbox sorts by."""
    return _save_slas(_open_clocks([conversation_id]))[0]
