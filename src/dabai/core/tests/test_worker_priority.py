"""The worker runs below the web server's CPU priority, so background work never slows the doors."""

import os

import pytest
from django.core.management import call_command

from dabai.core.management.commands.worker import lower_priority, worker_nice


def in_child(run) -> int:
    """Run ``run()`` in a forked child (a process's nice cannot be raised again) and return what it gives."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.write(write, str(run()).encode())
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    answer = os.read(read, 64).decode()
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0, "the child failed"
    return int(answer)


def now() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.parametrize(("configured", "steps"), [(None, 10), ("5", 5), ("0", 0), ("40", 19), ("x", 10)])
def test_the_configured_nice_is_read_and_clamped(monkeypatch, configured, steps) -> None:
    if configured is None:
        monkeypatch.delenv("DABAI_WORKER_NICE", raising=False)
    else:
        monkeypatch.setenv("DABAI_WORKER_NICE", configured)
    assert worker_nice() == steps


def test_lowering_the_priority_moves_the_process_down_only() -> None:
    before = now()
    assert in_child(lambda: lower_priority(3)) == min(19, before + 3)
    assert in_child(lambda: lower_priority(0)) == before
    assert now() == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_command_runs_at_the_configured_lower_priority(monkeypatch, settings) -> None:
    settings.REDIS_URL = ""
    monkeypatch.setenv("DABAI_WORKER_NICE", "4")
    before = now()

    def run_worker() -> int:
        call_command("worker", batch=True)
        return now()

    assert in_child(run_worker) == min(19, before + 4)
    assert now() == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_drain_beside_the_queue_runs_ahead_of_the_queues_jobs(monkeypatch, settings) -> None:
    """`dabai worker` starts its drain at DABAI_DRAIN_NICE, then lowers itself to DABAI_WORKER_NICE."""
    from dabai.channels import receivers
    from dabai.core.management.commands.worker import Command

    settings.REDIS_URL = ""
    monkeypatch.setenv("DABAI_WORKER_NICE", "6")
    monkeypatch.setenv("DABAI_DRAIN_NICE", "2")
    before = now()

    def run_worker() -> int:
        drain_started_at: list[int] = []
        monkeypatch.setattr(receivers, "start_drain_process", lambda: drain_started_at.append(now()))
        monkeypatch.setattr(Command, "_run", lambda self, batch: None)  # the queue itself is not under test
        call_command("worker")
        [drain] = drain_started_at
        return drain * 100 + now()

    assert in_child(run_worker) == min(19, before + 2) * 100 + min(19, before + 6)
    assert now() == before
