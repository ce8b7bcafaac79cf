"""A diagnostic for the background processes: ``DABAI_PROFILE_DIR`` makes them profile themselves.

With the variable set, ``dabai drain`` and ``dabai worker`` run under cProfile and write
``<dir>/<name>-<pid>.prof`` when they stop (SIGTERM), to read with ``python -m pstats``; the drain also
writes one line per batch to ``<dir>/drain-<pid>.batches`` (when it started, how many payloads, the
milliseconds in the transaction and after its commit, and the process's CPU milliseconds), which splits a
message's wait from its batch's duration.
Unset (the default), nothing is measured and nothing is written.
"""

import cProfile
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


def profile_dir() -> Path | None:
    value = os.environ.get("DABAI_PROFILE_DIR", "")
    return Path(value) if value else None


@contextmanager
def profiled(name: str) -> Iterator[None]:
    """Run the block under cProfile when ``DABAI_PROFILE_DIR`` is set; the stats are written on exit."""
    directory = profile_dir()
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(directory / f"{name}-{os.getpid()}.prof")


def batch_log(name: str) -> TextIO | None:
    """A line-buffered file for per-batch timings when profiling, else None."""
    directory = profile_dir()
    if directory is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    return (directory / f"{name}-{os.getpid()}.batches").open("a", buffering=1)
