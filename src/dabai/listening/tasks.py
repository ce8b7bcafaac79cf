"""The periodic reading of listening sources: one self-re-enqueuing chain (a newer one retires the old)."""

import logging
import uuid
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from dabai.listening import conf, services
from dabai.listening.models import PollChain

logger = logging.getLogger(__name__)


def start_polling() -> str:
    chain = uuid.uuid4().hex
    PollChain.objects.update_or_create(pk=1, defaults={"chain": chain})
    poll_sources.enqueue(chain)
    return chain


@task()
def poll_sources(chain: str) -> dict:
    """Read every source that is due; one failing source never stops the others or the chain."""
    if not PollChain.objects.filter(pk=1, chain=chain).update(ran_at=timezone.now()):
        return {"retired": True}
    results = {}
    try:
        for source in services.due_sources(timezone.now()):
            try:
                results[source.name] = services.read_source(source).as_dict()
            except Exception:
                logger.exception("listening: reading %s failed", source.name)
    finally:
        poll_sources.using(run_after=timezone.now() + timedelta(seconds=conf.poll_seconds())).enqueue(chain)
    return results


@task()
def read_source_now(source_id: int) -> dict:
    """A supervisor asked for one source to be read now."""
    from dabai.listening.models import Source

    source = Source.objects.filter(pk=source_id).first()
    return services.read_source(source).as_dict() if source else {}
