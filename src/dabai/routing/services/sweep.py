"""The minute sweep's SLA work: warn before a breach, record and escalate breaches, and start the clocks
that never started.

Apart from ``sla`` because it works set-wise over every open clock at once (a few queries whatever the
volume), where ``sla`` changes the clocks of given conversations; ``tasks.sla_sweep`` calls it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.conversations.live import publish_conversation_events
from dabai.conversations.models import Conversation, Status
from dabai.routing import signals
from dabai.routing.models import ClockKind, ClockState, ConversationSla, SlaBreach, SlaClock
from dabai.routing.services._common import ACTIVE, CHUNK, supervisors_by_team
from dabai.routing.services.sla import pause_clocks, start_clocks_for


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    conversations: set[int] = field(default_factory=set)


def sweep_slas(now: datetime | None = None) -> SweepResult:
    """Warn before a breach, record and escalate breaches: a few set-based queries whatever the volume."""
    now = now or timezone.now()
    result = SweepResult()
    with transaction.atomic():
        warn_qs = SlaClock.objects.filter(
            state=ClockState.RUNNING, warn_at__lte=now, due_at__gt=now, warned_at__isnull=True
        )
        warned = list(warn_qs.values_list("id", "conversation_id", "kind", "due_at"))
        if warned:
            result.warned = warn_qs.update(warned_at=now)
            signals.sla_warned.send(sender=SlaClock, clocks=[(row[1], row[2], row[3]) for row in warned])
        due = list(
            SlaClock.objects.filter(
                state=ClockState.RUNNING, due_at__lte=now, breached_at__isnull=True
            ).values_list("id", "conversation_id", "kind", "team_id", "target_minutes", "due_at")
        )
        if due:
            by_team, fallback = supervisors_by_team()
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
                    for clock_id, conversation_id, kind, team_id, minutes, _due_at in due
                ],
                batch_size=1000,
                ignore_conflicts=True,
            )
            result.breached = len(due)
            signals.sla_breached.send(sender=SlaClock, clocks=[(row[1], row[2], row[5]) for row in due])
        result.conversations = {row[1] for row in warned} | {row[1] for row in due}
    # One trip to the live layer for them all (open inboxes re-fetch once), not one per conversation.
    publish_conversation_events([(c, "sla.changed", {}) for c in list(result.conversations)[:200]])
    return result


def start_missing_clocks(limit: int = 500) -> int:
    """Safety net for the sweep: active conversations whose clocks never started get them now (in one
    ``start_clocks_for``; the few waiting on the customer are then paused one by one)."""
    missing = list(conversations_without_clocks()[:limit])
    starts = []
    for conversation in missing:
        kind = ClockKind.FIRST_RESPONSE if conversation.first_response_at is None else ClockKind.NEXT_RESPONSE
        at = conversation.last_inbound_at or conversation.last_message_at
        starts.append((conversation, at, [kind, ClockKind.RESOLUTION]))
    start_clocks_for(starts)
    for conversation, at, _kinds in starts:
        if conversation.status == Status.PENDING:
            pause_clocks(conversation, at)
    return len(missing)


def conversations_without_clocks() -> QuerySet[Conversation]:
    """Active conversations that never got a clock (e.g. loaded before routing existed)."""
    has_clock = SlaClock.objects.filter(conversation=OuterRef("pk"))
    return (
        Conversation.objects.filter(status__in=ACTIVE)
        .annotate(has_clock=Exists(has_clock))
        .filter(has_clock=False)
        .select_related("customer")
    )
