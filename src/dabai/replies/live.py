"""Live notices to one person (an @-mention), sent after commit; like every live event they carry no text."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from dabai.conversations.consumers import user_group


def notify_user(user_id: int, kind: str, conversation_id: int, **data: object) -> None:
    """Tell every open desk page of this user that something concerns them; the page fetches the rest."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        event = {"type": "conversation.event", "kind": kind, "conversation_id": conversation_id, **data}
        async_to_sync(layer.group_send)(user_group(user_id), event)

    transaction.on_commit(send)
