"""Assignment: routing conversations to agents (one, a batch, or every queued one) and agents' states.

The decision itself, plain code over in-memory seats, is ``dabai.routing.assignment`` (the ``Router``); this
module is its database side: it reads the seats and what each conversation needs, and writes assignees,
seats' last-assignment times and the decision rows in bulk.

Decisions (issue 7):
- Routing happens in the ``insights_stored`` receiver, directly (no extra task): skill matching needs the
  filter's intent, and that receiver already runs inside the worker's ``analyse_messages`` task, so the web
  request never pays for it. The minute sweep routes whatever is still queued (analysis failed, nobody free),
  so nothing waits forever.
- Routing writes the assignee with a guarded set-wise update and a ``RoutingDecision`` row rather than
  ``conversations.services.assign``: the decision row is the audit trail for automatic assignment, the batch
  router must stay at a few queries per thousand decisions, and an agent who picked the conversation
  meanwhile keeps it.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models import Case, Count, OuterRef, Subquery, Value, When
from django.utils import timezone

from dabai.accounts.models import Role, User
from dabai.accounts.services import record_audit
from dabai.conversations.live import publish_conversation_events
from dabai.conversations.models import Conversation, Insight, Status
from dabai.core.bulk import insert_rows, update_rows
from dabai.routing import signals as routing_signals
from dabai.routing.assignment import Decision, Need, Router, Seat
from dabai.routing.models import AgentRouting, AgentState, RoutingDecision, RoutingRule, TierPolicy
from dabai.routing.services._common import ACTIVE, CHUNK


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
    """Write assignees, each seat's last-assigned time and the decision rows in bulk.

    Assignees (and the seat's team where the conversation has none) go out in one ``UPDATE … FROM (VALUES …)``
    per chunk, only where the conversation is still unassigned: an agent who picked it meanwhile keeps it.
    """
    assigned = [(cid, team_id, d) for cid, team_id, d in decisions if d.seat is not None]
    rows = [
        (cid, d.seat.user_id, team_id if team_id is not None else min(d.seat.team_ids, default=None))
        for cid, team_id, d in assigned
    ]
    written = set(update_rows(Conversation, ["assignee", "team"], rows, where_null=["assignee"]))
    if written:
        routing_signals.auto_assigned.send(
            sender=Conversation, assignments=[row for row in rows if row[0] in written]
        )
    _stamp_last_assigned({d.seat.user_id: d.seat.last_assigned_at or at for _, _, d in assigned})
    insert_rows(
        RoutingDecision,
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
        publish_conversation_events(
            [(c.pk, "conversation.assigned", {}) for c, decision in self.decided if decision.seat is not None]
        )


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
