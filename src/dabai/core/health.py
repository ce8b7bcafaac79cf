"""Health of the parts a service centre cannot work without: the database and the task worker."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone


def database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means the database is not usable
        return False, exc.__class__.__name__
    return True, connection.vendor


def worker_status() -> dict[str, Any]:
    """The worker is alive when its heartbeat task ran recently (it re-enqueues itself every interval)."""
    from dabai.core.models import WorkerHeartbeat

    beat = WorkerHeartbeat.objects.order_by("-seen_at").first()
    stale_after = timedelta(seconds=settings.DABAI["WORKER_STALE_AFTER_SECONDS"])
    if beat is None:
        return {"alive": False, "last_seen": None}
    return {"alive": timezone.now() - beat.seen_at <= stale_after, "last_seen": beat.seen_at.isoformat()}


def health_report() -> dict[str, Any]:
    db_ok, db_detail = database_ok()
    worker = worker_status() if db_ok else {"alive": False, "last_seen": None}
    backend = settings.TASKS["default"]["BACKEND"].rsplit(".", 1)[-1]
    return {
        "ok": db_ok and worker["alive"],
        "database": {"ok": db_ok, "detail": db_detail},
        "worker": {**worker, "backend": backend},
    }
