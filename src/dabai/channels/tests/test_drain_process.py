"""`dabai drain`, the lane `dabai worker` starts beside its queue, stops cleanly: when told to (SIGTERM, as a
supervisor stops it) and when the worker that started it is gone (killed, it cannot tell its child)."""

import os
import signal
import subprocess
import sys
import time

from dabai.channels.receivers import drain_beside_the_queue


def test_the_drain_stops_on_sigterm() -> None:
    command = [sys.executable, "-m", "dabai.cli", "drain"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout.readline().strip() == "draining"
    time.sleep(1)
    assert process.poll() is None, "it keeps draining until stopped"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


# A stand-in worker: starts `dabai drain --parent <its pid>` the way `dabai worker` does, then waits.
STAND_IN = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-m", "dabai.cli", "drain", "--parent", str(os.getpid())])
print(child.pid, flush=True)
time.sleep(120)
"""


def test_the_drain_stops_when_its_worker_is_gone() -> None:
    """The worker is killed (it cannot tell its child); the orphaned drain notices within seconds."""
    worker = subprocess.Popen([sys.executable, "-c", STAND_IN], stdout=subprocess.PIPE, text=True)
    drain_pid = int(worker.stdout.readline())
    assert worker.stdout.readline().strip() == "draining"
    worker.kill()
    worker.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(drain_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    os.kill(drain_pid, signal.SIGKILL)
    raise AssertionError("the orphaned drain kept running")


def test_only_a_long_running_worker_starts_a_drain(monkeypatch) -> None:
    """`worker_started` heard in tests or from `--batch` starts nothing; `dabai worker` starts one drain."""
    from dabai.channels import receivers

    started = []
    monkeypatch.setattr(receivers, "start_drain_process", lambda: started.append(True))
    drain_beside_the_queue(sender=None)
    assert started == []
    drain_beside_the_queue(sender=None, long_running=True)
    assert started == [True]


def test_the_drain_loads_the_filter_before_its_first_batch(monkeypatch, db) -> None:
    """The first customers after a restart do not wait for the model to load: the drain loads it at start,
    and a model it cannot read then (the provider failing) never stops the drain."""
    from dabai.channels import drain
    from dabai.conversations import filtering
    from dabai.filter import model

    monkeypatch.setattr(model, "_cache", {})
    drain.warm_up()
    assert any(loaded is not None for loaded in model._cache.values())

    def broken():
        raise RuntimeError("the registry is not there yet")

    monkeypatch.setattr(filtering, "_provider", broken)
    drain.warm_up()  # logged, not raised
