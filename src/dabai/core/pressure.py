"""Background work makes way for the doors while they are busy.

The doors (the webhooks that store what customers send) must answer first: a gateway that waits too long
sends again, WeChat gives up after five seconds. The drain and the task worker run at a lower CPU priority
(``DABAI_WORKER_NICE``), but priority is not enough: their PostgreSQL backends run at the server's priority
whatever their client's nice, and on two cores a process working off a backlog keeps a core busy that the
doors' own database backends then wait for. Measured on two cores (bench/ingest.py, 2 December), the drain
took half a core and the task worker a quarter during a burst, whatever their nice (10 or 19), and the doors
answered 1,500 deliveries a second with them running against 2,500 with them stopped. Reading a message
costs the background ~4 ms of CPU, storing it the door ~0.4 ms: in a burst the background cannot keep up
anyway, and every core it takes is one the doors miss.

So the web process says when its doors are busy (``BusyDoors``: it used more than ``DABAI_DOORS_BUSY`` of a
core over the last fifth of a second) by touching a file in ``DABAI_VAR_DIR``, and the background on the same
machine, between batches (the drain) and jobs (the worker), waits while that file is fresh (``MakeWay``),
like PostgreSQL's autovacuum sleeping on its cost limit. The wait is bounded by the work done since the last
one (``YIELD_RATIO`` times it), so under a burst that lasts the background still does a quarter of its
work and catches up once the burst is over. A steady stream never marks the doors busy (200 messages a
second took a third of a core), so messages are read as soon as before. A background on another machine
sees no file and never waits: it takes nothing from the doors there.
"""

import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# The doors are busy when the web process used at least this share of a core over a window.
DEFAULT_BUSY_SHARE = 0.6
WINDOW_SECONDS = 0.2
# The mark stays fresh this long: a window and a half, so a burst reads as one busy stretch.
FRESH_SECONDS = 0.3
# While the doors are busy the background waits up to this many times the work it did since its last wait
# (at most MAX_WAIT_SECONDS at once): a quarter of its pace under a burst that lasts, never a halt.
YIELD_RATIO = 3.0
MAX_WAIT_SECONDS = 5.0
SLICE_SECONDS = 0.05


def busy_mark() -> Path:
    """The file the web processes touch while their doors are busy."""
    return Path(settings.VAR_DIR) / "doors-busy"


def _busy_share() -> float:
    try:
        return float(os.environ.get("DABAI_DOORS_BUSY", DEFAULT_BUSY_SHARE))
    except ValueError:
        logger.warning("DABAI_DOORS_BUSY is not a number; using %s", DEFAULT_BUSY_SHARE)
        return DEFAULT_BUSY_SHARE


class BusyDoors:
    """ASGI middleware of the web process: marks the doors busy (see the module docstring).

    Each request costs a clock reading; once per window, the process's CPU time is read and, when over the
    share, the mark touched. ``DABAI_DOORS_BUSY=0`` (or above 1) turns the mark off.
    """

    def __init__(self, app: Callable[..., Awaitable[Any]], mark: Path | None = None) -> None:
        self.app = app
        self.mark = mark
        self.share = _busy_share()
        self._since, self._cpu = time.monotonic(), time.process_time()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if 0 < self.share <= 1 and time.monotonic() - self._since >= WINDOW_SECONDS:
            self.measure()
        return await self.app(scope, receive, send)

    def measure(self) -> bool:
        """Close the window: whether the doors were busy in it (and the mark then touched)."""
        now, cpu = time.monotonic(), time.process_time()
        busy = (cpu - self._cpu) / max(now - self._since, 1e-9) >= self.share
        self._since, self._cpu = now, cpu
        if busy:
            mark = self.mark or busy_mark()
            try:
                os.utime(mark)
            except FileNotFoundError:
                mark.parent.mkdir(parents=True, exist_ok=True)
                mark.touch()
            except OSError:
                logger.warning("cannot mark the doors busy at %s", mark, exc_info=True)
        return busy


def doors_busy(mark: Path) -> bool:
    """Whether a web process on this machine marked its doors busy within ``FRESH_SECONDS``."""
    try:
        return time.time() - mark.stat().st_mtime < FRESH_SECONDS
    except OSError:
        return False


class MakeWay:
    """Called before each piece of background work: waits while the doors are busy, for at most
    ``YIELD_RATIO`` times the work done since the previous call returned (see the module docstring)."""

    def __init__(self, mark: Path | None = None) -> None:
        self.mark = mark
        self.waited = 0.0  # seconds in all: what the tests and the batch log read
        self._worked_since = time.monotonic()

    def __call__(self, stop: threading.Event | None = None) -> float:
        mark = self.mark or busy_mark()
        began = time.monotonic()
        allowed = min(MAX_WAIT_SECONDS, YIELD_RATIO * (began - self._worked_since))
        waited = 0.0
        while waited < allowed and doors_busy(mark):
            if stop is None:
                time.sleep(SLICE_SECONDS)
            elif stop.wait(SLICE_SECONDS):
                break
            waited = time.monotonic() - began
        self.waited += waited
        self._worked_since = time.monotonic()
        return waited


_background: MakeWay | None = None


def enable() -> None:
    """Make this process background work that makes way (``dabai worker`` and ``dabai drain`` call it)."""
    global _background
    _background = MakeWay()


def make_way(stop: threading.Event | None = None) -> float:
    """In a background process (``enable``), wait while the doors are busy; elsewhere return at once.

    Called between pieces of work: the worker's jobs, the drain's batches, and inside the long jobs between
    the messages of a batch (the bot's answers), so a job of many seconds makes way too."""
    return _background(stop) if _background is not None else 0.0
