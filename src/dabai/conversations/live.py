"""Live events for the inbox and the conversation page, sent only after the transaction commits."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

INBOX_GROUP = "inbox"


def conversation_group(conversation_id: int) -> str:
    return f"conversation-{conversation_id}"


def publish_conversation_event(conversation_id: int, kind: str, **data: object) -> None:
    """Tell open inboxes and conversation pages that something changed; they re-fetch what they may see.

    The event carries no message text: each browser reloads through views that check permissions.
    """

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        event = {"type": "conversation.event", "kind": kind, "conversation_id": conversation_id, **data}
        async_to_sync(layer.group_send)(conversation_group(conversation_id), event)
        async_to_sync(layer.group_send)(INBOX_GROUP, event)

    transaction.on_commit(send)
