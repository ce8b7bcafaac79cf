"""/healthz tells a load balancer (and `make run`) whether the database and the worker are alive."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from dabai.core.models import WorkerHeartbeat
from dabai.core.tasks import heartbeat, start_heartbeat
from dabai.testing import run_queued_tasks


def test_health_reports_worker_down_until_it_has_run(db, client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    report = response.json()
    assert report["database"]["ok"] is True
    assert report["worker"]["alive"] is False


def test_health_is_ok_once_the_worker_runs_the_heartbeat(db, client, django_capture_on_commit_callbacks):
    start_heartbeat()
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(hours=1))
    assert client.get(reverse("healthz")).status_code == 503, "an old heartbeat is a dead worker"
    run_queued_tasks()
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["worker"]["alive"] is True


def test_heartbeat_schedules_its_next_beat_and_a_restart_retires_the_old_chain(db):
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    beats = DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=heartbeat.module_path)
    old_chain = start_heartbeat()
    run_queued_tasks()
    assert beats.count() == 1, "one next beat is queued"
    new_chain = start_heartbeat()
    assert new_chain != old_chain
    run_queued_tasks(include_future=True)
    queued = beats.all()
    assert [r.task_result.args for r in queued] == [[new_chain]], "only the newest chain keeps beating"
