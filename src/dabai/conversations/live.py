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

    event = {"type": "conversation.event", "kind": kind, "conversation_id": conversation_id, **data}
    transaction.on_commit(lambda: _send_to_groups(event, conversation_group(conversation_id), INBOX_GROUP))


def _send_to_groups(event: dict, *groups: str) -> None:
    """One trip into the event loop for all groups: each ``async_to_sync`` call costs milliseconds."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for group in groups:
            await layer.group_send(group, event)

    async_to_sync(send_all)()
