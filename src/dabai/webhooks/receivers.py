"""Webhooks listen to the apps they announce (none of them imports webhooks): each change becomes an event,
stored in the change's own transaction, delivered after commit. Batches stay batches (one ``emit`` each).

A webhook bug must never roll back what it announces: each receiver runs in a savepoint and logs instead of
raising (the change stands; the event is lost, and the log says so).
"""

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from dabai.conversations import signals as conversation_signals
from dabai.conversations.models import Conversation, DeliveryStatus, Direction, Insight, Message
from dabai.core.signals import contained as contained_receiver
from dabai.core.signals import worker_started
from dabai.customers.models import Customer
from dabai.followups.models import EventKind as FollowUpEventKind
from dabai.followups.models import FollowUpEvent
from dabai.routing import signals as routing_signals
from dabai.routing.models import ComplaintCase, SlaClock
from dabai.surveys.models import Answer, Invitation
from dabai.webhooks.models import EventType
from dabai.webhooks.services import Announcement, emit
from dabai.webhooks.tasks import start_sweep

contained = contained_receiver("webhooks", "the change stands, its event is lost")


@receiver(conversation_signals.messages_received, sender=Message, dispatch_uid="webhooks.received")
@contained
def messages_received(sender, arrivals, **kwargs) -> None:
    announcements = []
    probes = _probe_customers({arrival.conversation.customer_id for arrival in arrivals})
    for arrival in arrivals:
        conversation, message = arrival.conversation, arrival.message
        if conversation.customer_id in probes:
            continue  # quality's channel probes are synthetic: an integrator's CRM must never hear of them
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


def _probe_customers(customer_ids: set[int]) -> set[int]:
    if not customer_ids:
        return set()
    return set(Customer.objects.filter(pk__in=customer_ids, is_probe=True).values_list("pk", flat=True))


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
                {"assignee_id": assignee_id, "team_id": team_id, "by": "person"},
                conversation.pk,
            )
        ]
    )


@receiver(routing_signals.auto_assigned, sender=Conversation, dispatch_uid="webhooks.auto_assigned")
@contained
def auto_assigned(sender, assignments, **kwargs) -> None:
    """Routing assigns set-wise (no per-conversation signal); its batch announces the same event a person's
    assignment does, so an integrator sees every assignment whoever made it."""
    emit(
        Announcement(
            EventType.CONVERSATION_ASSIGNED,
            {"assignee_id": assignee_id, "team_id": team_id, "by": "routing"},
            conversation_id,
        )
        for conversation_id, assignee_id, team_id in assignments
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


# Follow-ups and surveys announce nothing of their own: their changes are heard on Django's ``post_save``
# of the row each service writes last: a follow-up's log line (every change is logged, in the change's
# transaction) and the invitation's ``answered_at`` (stamped after the response and its answers, in the
# same transaction).

FOLLOWUP_CHANGES = {
    FollowUpEventKind.OPENED: "opened",
    FollowUpEventKind.STATUS: "status_changed",
    FollowUpEventKind.COMMENT: "commented",
    FollowUpEventKind.REPLY: "commented",
}


@receiver(post_save, sender=FollowUpEvent, dispatch_uid="webhooks.followup")
@contained
def followup_changed(sender, instance: FollowUpEvent, created: bool, **kwargs) -> None:
    """No follow-up text in the payload (departments' texts are for the API, where scopes apply)."""
    change = FOLLOWUP_CHANGES.get(instance.kind)
    if not created or change is None:
        return
    followup = instance.followup
    data = {
        "followup_id": followup.pk,
        "change": change,
        "event_id": instance.pk,
        "status": followup.status,
        "department_id": followup.department_id,
        "linked_conversation_ids": sorted(followup.conversations.values_list("pk", flat=True)),
    }
    if change == "status_changed":
        data.update({"from": instance.from_status, "to": instance.to_status})
    if change == "commented":
        data["by_department"] = instance.kind == FollowUpEventKind.REPLY
    emit([Announcement(EventType.FOLLOWUP_CHANGED, data)])


@receiver(post_save, sender=Invitation, dispatch_uid="webhooks.survey")
@contained
def survey_answered(sender, instance: Invitation, created: bool, update_fields=None, **kwargs) -> None:
    """Scores only (ratings, NPS, choices), never free text. An anonymous survey's event names no invitation,
    customer or response: only the survey and the day, as the survey itself keeps."""
    if created or instance.answered_at is None or set(update_fields or ()) != {"answered_at"}:
        return
    survey = instance.survey
    data = {
        "survey_id": survey.pk,
        "anonymous": survey.anonymous,
        "answered_on": str(timezone.localdate(instance.answered_at)),
    }
    if not survey.anonymous:
        response = getattr(instance, "response", None)
        answers = list(
            Answer.objects.filter(response=response)
            .order_by("question_id")
            .values("question_id", "number", "choices")
            if response is not None
            else []
        )
        data.update(
            {
                "invitation_id": instance.pk,
                "customer_id": instance.customer_id,
                "response_id": response.pk if response is not None else None,
                "answers": answers,
            }
        )
    emit([Announcement(EventType.SURVEY_ANSWERED, data)])


@receiver(worker_started, dispatch_uid="webhooks.sweep")
def start_webhook_sweep(sender, **kwargs) -> None:
    start_sweep()
