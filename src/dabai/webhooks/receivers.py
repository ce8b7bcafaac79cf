"""Webhooks listen to the apps they announce (none of them imports webhooks): each change becomes an event,
stored in the change's own transaction, delivered after commit. Batches stay batches (one ``emit`` each).

A webhook bug must never roll back what it announces: each receiver runs in a savepoint and logs instead of
raising (the change stands; the event is lost, and the log says so).
"""

from django.dispatch import receiver

from dabai.conversations import signals as conversation_signals
from dabai.conversations.models import Conversation, DeliveryStatus, Direction, Insight, Message
from dabai.core.signals import contained as contained_receiver
from dabai.core.signals import worker_started
from dabai.routing import signals as routing_signals
from dabai.routing.models import ComplaintCase, SlaClock
from dabai.webhooks.models import EventType
from dabai.webhooks.services import Announcement, emit
from dabai.webhooks.tasks import start_sweep

contained = contained_receiver("webhooks", "the change stands, its event is lost")


@receiver(conversation_signals.messages_received, sender=Message, dispatch_uid="webhooks.received")
@contained
def messages_received(sender, arrivals, **kwargs) -> None:
    announcements = []
    for arrival in arrivals:
        conversation, message = arrival.conversation, arrival.message
        if arrival.new_conversation:
            announcements.append(
                Announcement(
                    EventType.CONVERSATION_CREATED,
                    {"channel": conversation.channel, "customer_id": conversation.customer_id},
                    conversation.pk,
                )
            )
        announcements.append(
            Announcement(
                EventType.MESSAGE_RECEIVED,
                {
                    "message_id": message.pk,
                    "channel": message.channel,
                    "customer_id": conversation.customer_id,
                },
                conversation.pk,
            )
        )
    emit(announcements)


@receiver(conversation_signals.insights_stored, sender=Insight, dispatch_uid="webhooks.insights")
@contained
def insights_stored(sender, insights, **kwargs) -> None:
    announcements = []
    for insight in insights:
        emotions = [
            e.get("label") for e in (insight.analysis or {}).get("emotions") or [] if isinstance(e, dict)
        ]
        reasons = [
            r for r, yes in (("escalation", insight.escalation_risk), ("anger", "anger" in emotions)) if yes
        ]
        if reasons:
            announcements.append(
                Announcement(
                    EventType.INSIGHT_STORED,
                    {
                        "message_id": insight.message_id,
                        "reasons": reasons,
                        "sentiment": insight.sentiment,
                        "urgency": insight.urgency,
                        "escalation_risk": insight.escalation_risk,
                    },
                    insight.message.conversation_id,
                )
            )
    emit(announcements)


@receiver(conversation_signals.status_changed, sender=Conversation, dispatch_uid="webhooks.status")
@contained
def status_changed(sender, conversation, old_status, **kwargs) -> None:
    emit(
        [
            Announcement(
                EventType.CONVERSATION_STATUS_CHANGED,
                {"from": old_status, "to": conversation.status},
                conversation.pk,
            )
        ]
    )


@receiver(conversation_signals.assigned, sender=Conversation, dispatch_uid="webhooks.assigned")
@contained
def assigned(sender, conversation, assignee_id, team_id, **kwargs) -> None:
    emit(
        [
            Announcement(
                EventType.CONVERSATION_ASSIGNED,
                {"assignee_id": assignee_id, "team_id": team_id},
                conversation.pk,
            )
        ]
    )


@receiver(conversation_signals.delivery_changed, sender=Message, dispatch_uid="webhooks.delivery")
@contained
def delivery_changed(sender, message, status, **kwargs) -> None:
    kind = {
        DeliveryStatus.SENT: EventType.MESSAGE_SENT,
        DeliveryStatus.FAILED: EventType.MESSAGE_DELIVERY_FAILED,
    }
    if status not in kind or message.direction != Direction.OUTBOUND:
        return
    emit(
        [
            Announcement(
                kind[status],
                {"message_id": message.pk, "channel": message.channel},
                message.conversation_id,
            )
        ]
    )


def _clock_announcements(event_type: str, clocks) -> list[Announcement]:
    return [
        Announcement(
            event_type, {"kind": kind, "due_at": due_at.isoformat() if due_at else None}, conversation_id
        )
        for conversation_id, kind, due_at in clocks
    ]


@receiver(routing_signals.sla_warned, sender=SlaClock, dispatch_uid="webhooks.sla_warned")
@contained
def sla_warned(sender, clocks, **kwargs) -> None:
    emit(_clock_announcements(EventType.SLA_WARNING, clocks))


@receiver(routing_signals.sla_breached, sender=SlaClock, dispatch_uid="webhooks.sla_breached")
@contained
def sla_breached(sender, clocks, **kwargs) -> None:
    emit(_clock_announcements(EventType.SLA_BREACH, clocks))


@receiver(routing_signals.complaint_opened, sender=ComplaintCase, dispatch_uid="webhooks.complaint")
@contained
def complaint_opened(sender, cases, **kwargs) -> None:
    emit(
        [
            Announcement(
                EventType.COMPLAINT_OPENED,
                {"case_id": case.pk, "triggers": list(case.triggers), "due_at": case.due_at.isoformat()},
                case.conversation_id,
            )
            for case in cases
        ]
    )


@receiver(worker_started, dispatch_uid="webhooks.sweep")
def start_webhook_sweep(sender, **kwargs) -> None:
    start_sweep()
