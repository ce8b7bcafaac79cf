"""SLA clocks: policies, working calendars, and starting, stopping, pausing, resuming, tightening and
re-targeting clocks, with the inbox's one-row-per-conversation deadline (``ConversationSla``).

Its own module because every other part of routing leans on it (complaint cases halve deadlines, the sweep
breaches them) while it leans on none of them.

Decision (issue 7): clocks start in the ``messages_received`` receiver, inside the conversation's own
transaction, because the customer's wait starts when they write, not when our analysis finishes.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from dabai.conversations.models import Conversation
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

    def pause(clock: SlaClock, calendar: WorkingCalendar) -> None:
        clock.remaining_seconds = calendar.between(at, clock.due_at)
        clock.state, clock.paused_at = ClockState.PAUSED, at

    return _switch_clocks(
        conversation, ClockState.RUNNING, pause, ["remaining_seconds", "state", "paused_at"]
    )


def resume_clocks(conversation: Conversation, at: datetime) -> int:
    """The customer is back: the time left runs again from ``at`` on the same calendar."""

    def resume(clock: SlaClock, calendar: WorkingCalendar) -> None:
        remaining = clock.remaining_seconds or 0.0
        clock.due_at = calendar.add(at, remaining) if remaining > 0 else at + timedelta(seconds=remaining)
        warn = clock.policy.warn_before_minutes if clock.policy else 5
        clock.warn_at = clock.due_at - timedelta(minutes=warn)
        clock.state, clock.paused_at, clock.remaining_seconds = ClockState.RUNNING, None, None

    return _switch_clocks(
        conversation,
        ClockState.PAUSED,
        resume,
        ["due_at", "warn_at", "state", "paused_at", "remaining_seconds"],
    )


def _switch_clocks(
    conversation: Conversation,
    state: str,
    switch: Callable[[SlaClock, WorkingCalendar], None],
    fields: list[str],
) -> int:
    """Pause or resume: ``switch`` each of the conversation's clocks in ``state`` on its own calendar, save
    ``fields``, then the inbox row; returns how many clocks switched."""
    calendars = Calendars()
    switched = 0
    for clock in conversation.sla_clocks.filter(state=state):
        switch(clock, calendars.get(clock.team_id, clock.always_open))
        clock.save(update_fields=fields)
        switched += 1
    refresh_conversation_sla(conversation.pk)
    return switched


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
