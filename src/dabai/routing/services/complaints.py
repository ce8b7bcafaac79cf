"""Hard complaint cases: when one opens (escalation risk, a regulator named, repeated contact), who owns
it, the halved deadlines, and its stages.

Its own module because a case is a workflow of its own (received → investigating → resolved → confirmed)
that uses the other parts: it tightens ``sla`` clocks and may hand the conversation to an expert seat.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import AuditEntry, User
from dabai.accounts.services import record_audit
from dabai.conversations.live import publish_conversation_event, publish_conversation_events
from dabai.conversations.models import Conversation, Insight
from dabai.core.bulk import insert_rows, update_rows
from dabai.routing import signals
from dabai.routing.models import (
    AgentState,
    ClockKind,
    ComplaintCase,
    ComplaintStage,
    RoutingDecision,
    RoutingRule,
    SlaClock,
)
from dabai.routing.services._common import supervisors_by_team
from dabai.routing.services.sla import SlaRules, _open_clocks, _save_slas, _tighten, write_tightened

REPEAT_CONTACTS = 3
REPEAT_WINDOW = timedelta(days=7)


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
        self.by_team, self.fallback = supervisors_by_team()

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
    insert_rows(
        AuditEntry,
        [
            AuditEntry(action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk), detail=detail)
            for obj, detail in entries
        ],
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
        self,
        conversations: Sequence[Conversation],
        now: datetime,
        rules: SlaRules | None = None,
        clocks: Mapping[int, list[SlaClock]] | None = None,
    ) -> None:
        """``clocks``: the conversations' open clocks as the batch already holds them (else read here)."""
        ids = {c.pk for c in conversations}
        self.now = now
        self.taken = set(
            ComplaintCase.objects.filter(conversation_id__in=ids).values_list("conversation_id", flat=True)
        )
        new = ids - self.taken
        # Nothing more to read when every conversation has its case already.
        self.owners = SeniorOwners() if new else None
        self.rules = rules or (SlaRules(c.channel for c in conversations) if new else None)
        if clocks is not None and new <= clocks.keys():
            self.clocks = {pk: clocks[pk] for pk in new}
        else:
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
        insert_rows(ComplaintCase, self.cases)
        write_tightened(self.moved.values())
        _save_slas({case.conversation_id: self.clocks[case.conversation_id] for case in self.cases})
        update_rows(Conversation, ["assignee"], [(c.pk, owner_id) for c, owner_id in self.handed])
        for c, owner_id in self.handed:
            c.assignee_id = owner_id
        insert_rows(RoutingDecision, self.decisions)
        opened = [(case, {"triggers": case.triggers, "owner": case.owner_id}) for case in self.cases]
        _audit_system("routing.complaint_opened", opened)
        signals.complaint_opened.send(sender=ComplaintCase, cases=list(self.cases))
        publish_conversation_events([(case.conversation_id, "complaint.opened", {}) for case in self.cases])


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
