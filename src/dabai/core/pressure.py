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

So the web process says when its doors are busy (``BusyDoors``: over the last fifth of a second it used more
than ``DABAI_DOORS_BUSY`` of a core, or one in twenty of the doors' answers took longer than
``DABAI_DOORS_SLOW_MS``) by touching a file in ``DABAI_VAR_DIR``, and the background on the same
machine, between batches (the drain) and jobs (the worker), waits while that file is fresh (``MakeWay``),
like PostgreSQL's autovacuum sleeping on its cost limit. The wait is bounded by the work done since the last
one (``YIELD_RATIO`` times it), so under a burst that lasts the background still does a quarter of its
work and catches up once the burst is over. A steady stream does not mark the doors busy (200 messages a
second took a third of a core, and 99 in 100 were answered within 14 ms), so its messages are read as soon
as before. A background on another machine sees no file and never waits: it takes nothing from the doors
there.
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

# The doors are busy when the web process used at least this share of a core over a window, or when at
# least SLOW_SHARE of the doors' answers in it (and at least SLOW_AT_LEAST of them) took over the slow mark:
# on two slow cores the doors' answers slowed past 50 ms at 1,200 deliveries a second with the background
# running, while the web process used only half a core.
DEFAULT_BUSY_SHARE = 0.6
DEFAULT_SLOW_MS = 20.0
SLOW_SHARE = 0.05
SLOW_AT_LEAST = 3
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


def _setting(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        logger.warning("%s is not a number; using %s", name, default)
        return default


class BusyDoors:
    """ASGI middleware of the web process: marks the doors busy (see the module docstring).

    ``doors(path)`` says which paths are machine doors (their answers' times count; the desk's pages, slower
    by nature, do not). Each request costs a clock reading, a door's answer two; once per window the process's
    CPU time is read and, when the window was busy, the mark touched. ``DABAI_DOORS_BUSY=0`` turns it off.
    """

    def __init__(
        self,
        app: Callable[..., Awaitable[Any]],
        doors: Callable[[str], bool] = lambda path: False,
        mark: Path | None = None,
    ) -> None:
        self.app, self.doors, self.mark = app, doors, mark
        self.share = _setting("DABAI_DOORS_BUSY", DEFAULT_BUSY_SHARE)
        self.slow_seconds = _setting("DABAI_DOORS_SLOW_MS", DEFAULT_SLOW_MS) / 1000
        self._since, self._cpu = time.monotonic(), time.process_time()
        self._answers = self._slow = 0

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if not 0 < self.share <= 1:
            return await self.app(scope, receive, send)
        began = time.monotonic()
        if began - self._since >= WINDOW_SECONDS:
            self.measure()
        if scope["type"] != "http" or not self.doors(scope.get("path", "")):
            return await self.app(scope, receive, send)

        async def timed_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                self.answered(time.monotonic() - began)
            await send(message)

        return await self.app(scope, receive, timed_send)

    def answered(self, seconds: float) -> None:
        """A door answered after ``seconds``: counted in this window."""
        self._answers += 1
        self._slow += seconds > self.slow_seconds

    def measure(self) -> bool:
        """Close the window: whether the doors were busy in it (and the mark then touched)."""
        now, cpu = time.monotonic(), time.process_time()
        busy = (cpu - self._cpu) / max(now - self._since, 1e-9) >= self.share or (
            self._slow >= SLOW_AT_LEAST and self._slow >= SLOW_SHARE * self._answers
        )
        self._since, self._cpu, self._answers, self._slow = now, cpu, 0, 0
        if busy:
            self._touch(self.mark or busy_mark())
        return busy

    @staticmethod
    def _touch(mark: Path) -> None:
        try:
            os.utime(mark)
        except FileNotFoundError:
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.touch()
        except OSError:
            logger.warning("cannot mark the doors busy at %s", mark, exc_info=True)


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
        self.waited = 0.0  # seconds in all (the tests read it)
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
