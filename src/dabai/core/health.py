"""Health of the parts a service centre cannot work without: the database and the task worker; and what the
apps contribute (e.g. quality's channel probes) through the ``health_checks`` signal.

Only the database and the worker decide ``ok`` (and /healthz's 503): they are this instance's own, and a load
balancer should pull an instance without them. A contributed check that fails (one channel's probe) makes the
report ``degraded`` but keeps 200: the failure is the same on every instance, so pulling them would take the
whole site down for every other channel too. Monitoring reads ``status`` and ``checks`` instead.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.dispatch import Signal
from django.utils import timezone

logger = logging.getLogger(__name__)

# Apps contribute checks: a receiver returns ``(name, {"ok": bool, ...})``; it must be cheap (a few queries).
health_checks = Signal()


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


def contributed_checks() -> dict[str, dict[str, Any]]:
    """The apps' checks by name; a check that raises is reported failing (with the error's class)."""
    checks: dict[str, dict[str, Any]] = {}
    for receiver, result in health_checks.send_robust(sender=None):
        if isinstance(result, Exception):
            logger.error("health check %r failed", receiver, exc_info=result)
            checks[getattr(receiver, "__module__", "check")] = {
                "ok": False,
                "error": result.__class__.__name__,
            }
        elif result:
            name, detail = result
            checks[name] = detail
    return checks


def health_report() -> dict[str, Any]:
    db_ok, db_detail = database_ok()
    worker = worker_status() if db_ok else {"alive": False, "last_seen": None}
    backend = settings.TASKS["default"]["BACKEND"].rsplit(".", 1)[-1]
    checks = contributed_checks() if db_ok else {}
    ok = db_ok and worker["alive"]
    degraded = any(not check.get("ok", True) for check in checks.values())
    return {
        "ok": ok,
        "status": "down" if not ok else "degraded" if degraded else "ok",
        "database": {"ok": db_ok, "detail": db_detail},
        "worker": {**worker, "backend": backend},
        "checks": checks,
    }
