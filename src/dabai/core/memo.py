"""Reads shared by every item of one batch job, made once per job instead of once per item.

The bot answers a drained batch in one job (``knowledge.tasks.bot_respond_all``); each hand-over in it read
the bot's policy and account, the synonym table, the team's calendar, its available agents and its average
first response again — eight of a hand-over's 38 queries, the same for every message of the batch, two of
them growing with the history (the calendar's days, up to 2,000 answered conversations). Inside
``batch_memo()`` a function marked ``@per_batch`` runs once per key; outside it (a view, a single retried
message) it runs every time, so nothing is ever stale for longer than one job.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("dabai_batch_memo", default=None)

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def batch_memo() -> Iterator[None]:
    """Within the block, ``@per_batch`` functions remember their results (nested blocks share the outer)."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


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
