"""The worker's heartbeat: proves to /healthz that queued work is actually being run."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from dabai.core.models import WorkerHeartbeat


def start_heartbeat() -> str:
    """Start a fresh heartbeat chain (called when a worker starts); older chains retire themselves."""
    chain = uuid.uuid4().hex
    WorkerHeartbeat.objects.update_or_create(
        name="default", defaults={"chain": chain, "seen_at": timezone.now()}
    )
    heartbeat.enqueue(chain)
    return chain


@task()
def heartbeat(chain: str) -> bool:
    """Record that the worker is alive, then schedule the next beat through the framework's ``run_after``."""
    updated = WorkerHeartbeat.objects.filter(name="default", chain=chain).update(seen_at=timezone.now())
    if not updated:
        return False
    interval = timedelta(seconds=settings.DABAI["HEARTBEAT_INTERVAL_SECONDS"])
    heartbeat.using(run_after=timezone.now() + interval).enqueue(chain)
    return True
