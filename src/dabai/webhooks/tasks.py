"""Background work of webhooks: one attempt of one delivery, and the minute sweep that re-sends deliveries
whose task was lost. Retries are tasks enqueued with ``run_after`` by ``services.settle``."""

import logging
import uuid
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from dabai.webhooks import services
from dabai.webhooks.models import SweepChain

logger = logging.getLogger(__name__)
SWEEP_INTERVAL = timedelta(minutes=1)


@task()
def deliver_webhook(delivery_id: int, attempts: int) -> str:
    """Attempt delivery ``delivery_id`` if it still has ``attempts`` attempts behind it (else a duplicate)."""
    return services.deliver(delivery_id, attempts)


@task()
def deliver_webhooks(jobs: list[list[int]]) -> dict:
    """Attempt a batch of one endpoint's new deliveries (``[delivery id, attempts]`` pairs) in order."""
    return services.deliver_batch([(delivery_id, attempts) for delivery_id, attempts in jobs])


def start_sweep() -> str:
    chain = uuid.uuid4().hex
    SweepChain.objects.update_or_create(pk=1, defaults={"chain": chain})
    webhook_sweep.enqueue(chain)
    return chain


@task()
def webhook_sweep(chain: str) -> dict:
    if not SweepChain.objects.filter(pk=1, chain=chain).update(swept_at=timezone.now()):
        return {"retired": True}
    try:
        requeued = services.requeue_overdue()
    finally:
        webhook_sweep.using(run_after=timezone.now() + SWEEP_INTERVAL).enqueue(chain)
    if requeued:
        logger.info("webhook sweep: %d overdue deliveries re-queued", requeued)
    return {"requeued": requeued}
