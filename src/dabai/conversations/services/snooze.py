"""Snoozing: an agent puts a conversation out of the open views until a time, or until the customer writes.

What a snooze does not do is stop the customer's wait. A serious helpdesk (Zendesk, Chatwoot) pauses SLA
clocks only while the conversation waits on the *customer* (status pending): an agent hiding an open
conversation from their list does not make the customer any less kept waiting, so snoozing an open
conversation leaves its clocks running and it may breach while asleep (it shows as overdue when it wakes, or
in the overdue view, which shows snoozed conversations too). To stop the clocks, set it to pending (waiting
on the customer) and snooze it: the snooze is orthogonal to the status and never changes it.

A snoozed conversation wakes at its time (a task scheduled with ``run_after`` for that moment; if the worker
was down then, the minute sweep ``wake_due`` catches up), when the customer writes (live intake wakes it in
the same transaction, see ``intake._count_inbound``), when an agent wakes it, or when it is resolved or
closed.
Every snooze and wake is audited; open desk pages hear about it after commit.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.conversations.live import publish_conversation_event, publish_conversation_events
from dabai.conversations.models import Conversation, Status


class WakeReason:
    AGENT = "agent"
    TIME = "time"
    CUSTOMER = "customer"
    RESOLVED = "resolved"
    MERGED = "merged"


WAKE_REASONS = {
    WakeReason.AGENT,
    WakeReason.TIME,
    WakeReason.CUSTOMER,
    WakeReason.RESOLVED,
    WakeReason.MERGED,
}
SWEEP_BATCH = 500


class CannotSnooze(ValueError):
    """The conversation cannot be snoozed (finished, or the time is not in the future)."""


def snooze(conversation: Conversation, *, until: datetime, actor: User) -> Conversation:
    """Put an open or pending conversation out of the open views until ``until`` (or the customer writes).

    Snoozing again moves the time; the task scheduled for the earlier time finds the snooze changed and does
    nothing. The SLA clocks keep running (see the module's docstring).
    """
    if timezone.is_naive(until):
        until = timezone.make_aware(until)
    if until <= timezone.now():
        raise CannotSnooze(gettext_noop("choose a time in the future"))
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.status not in {Status.OPEN, Status.PENDING}:
            raise CannotSnooze(gettext_noop("only open or pending conversations can be snoozed"))
        previous = locked.snoozed_until
        locked.snoozed_until = until
        locked.save(update_fields=["snoozed_until"])
        record_audit(
            actor,
            "conversation.snoozed",
            locked,
            {"until": until.isoformat(), "previous": previous.isoformat() if previous else None},
        )
        _schedule_wake(locked.pk, until)
    conversation.snoozed_until = until
    publish_conversation_event(conversation.pk, "conversation.snoozed")
    return conversation


def unsnooze(conversation: Conversation, *, actor: User | None = None, reason: str) -> bool:
    """Bring a snoozed conversation back into the open views now; False if it was not snoozed.

    ``reason`` says why in the audit: ``agent`` (woken by hand), ``time`` (its time came), ``customer``,
    ``resolved`` or ``merged``.
    """
    if reason not in WAKE_REASONS:
        raise ValueError(f"unknown wake reason {reason!r}")
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.snoozed_until is None:
            conversation.snoozed_until = None
            return False
        was = locked.snoozed_until
        locked.snoozed_until = None
        locked.save(update_fields=["snoozed_until"])
        record_audit(actor, "conversation.unsnoozed", locked, {"reason": reason, "was": was.isoformat()})
    conversation.snoozed_until = None
    publish_conversation_event(conversation.pk, "conversation.unsnoozed", reason=reason)
    return True


def wake_if_due(conversation_id: int, scheduled_for: datetime) -> str:
    """The scheduled wake of one snooze: only if that very snooze is still on and its time has come.

    Returns what happened (``woken``, ``early`` — the caller schedules again —, or ``stale``: woken
    already, snoozed again to another time, or gone).
    """
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or conversation.snoozed_until != scheduled_for:
        return "stale"
    if scheduled_for > timezone.now():
        return "early"
    return "woken" if unsnooze(conversation, reason=WakeReason.TIME) else "stale"


def wake_due(now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """The sweep's safety net: wake every conversation whose snooze has passed (a lost or late task)."""
    now = now or timezone.now()
    woken = 0
    due = Conversation.objects.filter(snoozed_until__lte=now).order_by("snoozed_until")[:limit]
    for conversation in due:
        woken += unsnooze(conversation, reason=WakeReason.TIME)
    return woken


def woken_by_customer(conversations: list[Conversation], was: dict[int, datetime]) -> None:
    """Intake woke these conversations (the customer wrote): audit each, tell the desks after commit.

    Called inside intake's transaction, after the conversations' rows are written.
    """
    for conversation in conversations:
        record_audit(
            None,
            "conversation.unsnoozed",
            conversation,
            {"reason": WakeReason.CUSTOMER, "was": was[conversation.pk].isoformat()},
        )
    publish_conversation_events(
        [(c.pk, "conversation.unsnoozed", {"reason": WakeReason.CUSTOMER}) for c in conversations]
    )


def _schedule_wake(conversation_id: int, until: datetime) -> None:
    from dabai.conversations.tasks import wake_snoozed

    transaction.on_commit(
        lambda: wake_snoozed.using(run_after=until).enqueue(conversation_id, until.isoformat())
    )
