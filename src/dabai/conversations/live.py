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
    publish_conversation_events([(conversation_id, kind, data)])


def publish_conversation_events(events: list[tuple[int, str, dict]]) -> None:
    """Many events (a stored batch) in one trip to the channel layer once the transaction commits."""
    if not events:
        return
    messages = [
        (
            {"type": "conversation.event", "kind": kind, "conversation_id": cid, **data},
            conversation_group(cid),
        )
        for cid, kind, data in events
    ]
    transaction.on_commit(lambda: _send(messages))


def _send(messages: list[tuple[dict, str]]) -> None:
    """One trip into the event loop for the whole batch: each ``async_to_sync`` call costs milliseconds.

    Every event reaches its conversation's page (a conversation that has only just been created has no page
    open yet). Open inboxes get one event per batch: any event makes them re-fetch the list, and two hundred
    re-fetches for a burst of two hundred messages would help nobody.
    """
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for event, group in messages:
            if event["kind"] != "conversation.created":
                await layer.group_send(group, event)
        await layer.group_send(INBOX_GROUP, messages[-1][0])

    async_to_sync(send_all)()
