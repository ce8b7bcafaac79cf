"""Starting ``dabai worker`` starts routing's minute SLA sweep: core announces the start, routing listens."""

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from dabai.core.models import WorkerHeartbeat
from dabai.routing.models import SweepChain

pytestmark = pytest.mark.django_db


def test_a_starting_worker_starts_the_heartbeat_and_the_sla_sweep(monkeypatch):
    ran = []
    monkeypatch.setattr(
        "dabai.core.management.commands.worker.call_command", lambda *args, **kwargs: ran.append(args)
    )
    call_command("worker")
    assert ran == [("db_worker",)]
    assert WorkerHeartbeat.objects.filter(name="default").exists()
    assert SweepChain.objects.filter(name="sla").exists()
    queued = set(DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True))
    # Other apps start their own periodic chains too (each app's tests say which); these are routing's own.
    assert queued >= {"dabai.core.tasks.heartbeat", "dabai.routing.tasks.sla_sweep"}


def test_a_batch_run_starts_no_periodic_chain(monkeypatch):
    monkeypatch.setattr("dabai.core.management.commands.worker.call_command", lambda *args, **kwargs: None)
    call_command("worker", batch=True)
    assert not SweepChain.objects.exists()
    assert not DBTaskResult.objects.exists()
