"""What the centre writes: a first message, replies and internal notes."""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dabai.accounts.models import User
from dabai.conversations import signals
from dabai.conversations.live import publish_conversation_event, publish_conversation_events
from dabai.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    Status,
)
from dabai.customers.models import Customer


def start_conversation(
    customer: Customer, channel: str, *, subject: str = "", status: str = Status.PENDING
) -> Conversation:
    """The centre writes first (an article by SMS): a conversation with no customer message, waiting on them.

    The caller posts the first message (``post_reply``), which announces it.
    """
    now = timezone.now()
    return Conversation.objects.create(
        customer=customer, channel=channel, subject=subject[:255], status=status, last_message_at=now
    )


def post_reply(conversation: Conversation, author: User, body: str) -> Message:
    """Store the agent's reply; the channel's sender (if any) delivers it after commit."""
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            direction=Direction.OUTBOUND,
            channel=conversation.channel,
            author=author,
            body=body,
            sent_at=now,
            delivery_status=DeliveryStatus.QUEUED,
        )
        updates: dict[str, Any] = {"last_message_at": now, "message_count": F("message_count") + 1}
        if not author.is_automated:
            # A bot's answer is self-service; the first response a customer waits for is a person's.
            if conversation.first_response_at is None:
                updates["first_response_at"] = now
            if conversation.assignee_id is None:
                updates["assignee"] = author
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        transaction.on_commit(lambda: signals.reply_posted.send(sender=Message, message=message))
    publish_conversation_event(conversation.pk, "message.new", message_id=message.pk)
    conversation.refresh_from_db()
    return message


def add_note(conversation: Conversation, author: User, body: str) -> Message:
    """An internal note: visible to colleagues only, never sent to the customer."""
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.NOTE,
        channel=conversation.channel,
        author=author,
        body=body,
        sent_at=timezone.now(),
    )
    publish_conversation_event(conversation.pk, "note.new", message_id=message.pk)
    return message


def add_notes(notes: list[tuple[Conversation, str]], author: User) -> list[Message]:
    """Internal notes on many conversations at once (a listening batch's reach notes): one insert and one
    trip to the live layer, whatever their number. Like ``add_note``, nothing is sent to the customer; unlike
    it, no ``post_save`` fires, so @-mentions in these notes are not read (system notes carry none)."""
    if not notes:
        return []
    now = timezone.now()
    with transaction.atomic():
        messages = Message.objects.bulk_create(
            [
                Message(
                    conversation=conversation,
                    direction=Direction.NOTE,
                    channel=conversation.channel,
                    author=author,
                    body=body,
                    sent_at=now,
                )
                for conversation, body in notes
            ],
            batch_size=500,
        )
        publish_conversation_events([(m.conversation_id, "note.new", {"message_id": m.pk}) for m in messages])
    return messages
