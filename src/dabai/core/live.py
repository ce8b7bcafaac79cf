"""Live events to channel-layer groups: the one way the apps reach open pages (inboxes, threads, chat).

A state change announces itself once its transaction commits (``send_after_commit``); a sender already past
its commit (a reply pushed to an open chat widget) uses ``send``. Desk events carry no message text: each
page re-fetches through views that check permissions.
"""

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

Addressed = tuple[str, dict]  # (group, event)
logger = logging.getLogger(__name__)


# Groups sent to at once: a drained batch addresses a few hundred conversation pages, each a round trip or
# two to Redis even when no page is open; a few in flight together take a fraction of the time one after
# another does, without a connection per group.
GROUPS_IN_FLIGHT = 8


def send(messages: Iterable[Addressed]) -> None:
    """Send each event to its group now, in one trip into the event loop (each trip costs ms).

    Each group gets its events in the order given; a few groups are served at the same time.
    """
    by_group: dict[str, list[dict]] = {}
    for group, event in messages:
        by_group.setdefault(group, []).append(event)
    layer = get_channel_layer()
    if layer is None or not by_group:
        return

    async def send_all() -> None:
        gate = asyncio.Semaphore(GROUPS_IN_FLIGHT)

        async def to_group(group: str, events: list[dict]) -> None:
            async with gate:
                for event in events:
                    await layer.group_send(group, event)

        listened = await _listened(layer, list(by_group))
        await asyncio.gather(*(to_group(group, by_group[group]) for group in listened))

    _run(send_all)


def _run(coroutine: Callable[[], Awaitable[None]]) -> None:
    """Run ``coroutine`` to its end from synchronous code, on a loop that keeps the layer's connections.

    In a sync view of the ASGI server, on the server's own loop (``async_to_sync`` finds it). Elsewhere (the
    worker, the drain, commands) ``async_to_sync`` would start a new thread and event loop for every call,
    and the Redis layer, which keeps its connections per loop, a new connection with them: 6.8 ms of CPU a
    call on a slow machine, paid by the bot for each answer. There one loop runs for the process's life.
    """
    if _server_loop() is not None:
        async_to_sync(coroutine)()
        return
    asyncio.run_coroutine_threadsafe(coroutine(), _own_loop()).result()


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of the ASGI server this thread serves (asgiref's own test, plus: asgiref
    leaves the loop of a finished call behind in the thread), or None outside one."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


_loop: tuple[int, asyncio.AbstractEventLoop] | None = None
_loop_lock = threading.Lock()


def _own_loop() -> asyncio.AbstractEventLoop:
    """This process's event loop for live events, in a daemon thread started on first use (again after a
    fork: a child does not inherit the thread)."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="dabai-live-events", daemon=True).start()
            _loop = (os.getpid(), loop)
        return _loop[1]


async def _listened(layer: Any, groups: list[str]) -> list[str]:
    """The groups somebody may listen to, asked of Redis in one pipelined round trip per Redis host.

    A drained batch addresses hundreds of conversation pages of which a handful are open; the Redis layer's
    ``group_send`` spends two round trips and a millisecond of CPU finding a group empty. Its group is a
    sorted set that vanishes when its last member leaves or expires, so one ZCARD per group tells which are
    worth a send (an expired member still counts: the send then cleans it up). Other layers (in memory,
    in tests) get every group.
    """
    group_key = getattr(layer, "_group_key", None)
    if group_key is None or not hasattr(layer, "consistent_hash") or not hasattr(layer, "connection"):
        return groups
    by_host: dict[int, list[str]] = {}
    for group in groups:
        by_host.setdefault(layer.consistent_hash(group), []).append(group)
    listened = []
    try:
        for index, names in by_host.items():
            pipe = layer.connection(index).pipeline(transaction=False)
            for group in names:
                pipe.zcard(group_key(group))
            counts = await pipe.execute()
            listened.extend(group for group, count in zip(names, counts, strict=True) if count)
    except Exception:  # the layer's private parts changed, or Redis hiccuped: every group, as other layers
        logger.warning("live events: could not ask Redis which groups listen; sending to all", exc_info=True)
        return groups
    return listened


def send_after_commit(messages: Iterable[Addressed]) -> None:
    """Send the events once the current transaction commits (at once outside one); never if it rolls back."""
    messages = list(messages)
    transaction.on_commit(lambda: send(messages))
