"""Background work of routing: the minute SLA sweep, a task that re-enqueues itself through ``run_after``."""

import logging
import uuid
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from dabai.routing.models import SweepChain
from dabai.routing.services import route_queued, start_missing_clocks, sweep_slas

logger = logging.getLogger(__name__)

SWEEP_INTERVAL = timedelta(minutes=1)


def start_sla_sweep() -> str:
    """Start a fresh sweep chain (called when a worker starts); an older chain stops at its next run."""
    chain = uuid.uuid4().hex
    SweepChain.objects.update_or_create(name="sla", defaults={"chain": chain})
    sla_sweep.enqueue(chain)
    return chain


@task()
def sla_sweep(chain: str) -> dict:
    """Warn, breach and escalate SLAs, route what is still queued, then schedule the next sweep."""
    if not SweepChain.objects.filter(name="sla", chain=chain).update(swept_at=timezone.now()):
        return {"retired": True}
    try:
        start_missing_clocks()
        result = sweep_slas()
        routed = route_queued()
    finally:
        sla_sweep.using(run_after=timezone.now() + SWEEP_INTERVAL).enqueue(chain)
    logger.info("SLA sweep: %d warned, %d breached, %d routed", result.warned, result.breached, routed)
    return {"warned": result.warned, "breached": result.breached, "routed": routed}
