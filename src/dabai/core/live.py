"""Live events to channel-layer groups: the one way the apps reach open pages (inboxes, threads, chat).

A state change announces itself once its transaction commits (``send_after_commit``); a sender already past
its commit (a reply pushed to an open chat widget) uses ``send``. Desk events carry no message text: each
page re-fetches through views that check permissions.
"""

from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

Addressed = tuple[str, dict]  # (group, event)


def send(messages: Iterable[Addressed]) -> None:
    """Send each event to its group now, in one trip into the event loop (each ``async_to_sync`` costs ms)."""
    messages = list(messages)
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        for group, event in messages:
            await layer.group_send(group, event)

    async_to_sync(send_all)()


def send_after_commit(messages: Iterable[Addressed]) -> None:
    """Send the events once the current transaction commits (at once outside one); never if it rolls back."""
    messages = list(messages)
    transaction.on_commit(lambda: send(messages))
