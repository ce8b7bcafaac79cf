"""Reads shared by every item of one batch job, made once per job instead of once per item.

The bot answers a drained batch in one job (``knowledge.tasks.bot_respond_all``); each hand-over in it read
the bot's policy and account, the synonym table, the team's calendar, its available agents and its average
first response again — eight of a hand-over's ~35 queries, the same for every message of the batch, two of
them growing with the history (the calendar's days, up to 2,000 answered conversations). Inside
``batch_memo()`` a function marked ``@per_batch`` runs once per key; outside it (a view, a single retried
message) it runs every time, so nothing is ever stale for longer than one job. Jobs that follow each item
(the case index after each reply) can be gathered into one job when the batch ends (``enqueue_after_batch``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("dabai_batch_memo", default=None)
_after: ContextVar[dict[Any, set[int]] | None] = ContextVar("dabai_batch_after", default=None)

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def batch_memo() -> Iterator[None]:
    """Within the block, ``@per_batch`` functions remember their results (nested blocks share the outer)."""
    if _memo.get() is not None:
        yield
        return
    token, after = _memo.set({}), _after.set({})
    try:
        yield
    finally:
        gathered = _after.get() or {}
        _memo.reset(token)
        _after.reset(after)
        for task, ids in gathered.items():
            task.enqueue(sorted(ids))


def enqueue_after_batch(task: Any, ids: list[int]) -> bool:
    """Inside :func:`batch_memo`, gather ``ids`` for one ``task.enqueue(ids)`` when the batch ends (the bot's
    twelve replies in one job refresh twelve cases in one job, not twelve); False outside a batch, where the
    caller enqueues as before. The task must take a list of ids as its one argument."""
    gathered = _after.get()
    if gathered is None:
        return False
    gathered.setdefault(task, set()).update(ids)
    return True


def per_batch(key: Callable[..., Hashable] | None = None) -> Callable[[F], F]:
    """Remember the function's result by its arguments (or by ``key(*args, **kwargs)``) inside
    :func:`batch_memo`; without it, call through."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            memo = _memo.get()
            if memo is None:
                return func(*args, **kwargs)
            found = key(*args, **kwargs) if key else (args, tuple(sorted(kwargs.items())))
            slot = (func.__module__, func.__qualname__, found)
            if slot not in memo:
                memo[slot] = func(*args, **kwargs)
            return memo[slot]

        return wrapper  # type: ignore[return-value]

    return decorate
