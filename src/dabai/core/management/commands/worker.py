import logging
import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from dabai.core.signals import worker_started
from dabai.core.tasks import start_heartbeat

logger = logging.getLogger(__name__)

# How much lower than the web server the worker runs (Unix nice steps, 0-19): background work on the same
# machine must not slow the doors that answer WeChat, the SMS gateway and the mail relay.
DEFAULT_NICE = 10


def worker_nice() -> int:
    """``DABAI_WORKER_NICE`` (default 10), clamped to what ``nice`` accepts without privileges (0-19)."""
    try:
        value = int(os.environ.get("DABAI_WORKER_NICE", DEFAULT_NICE))
    except ValueError:
        logger.warning("DABAI_WORKER_NICE is not a whole number; using %d", DEFAULT_NICE)
        value = DEFAULT_NICE
    return max(0, min(19, value))


def lower_priority(steps: int) -> int:
    """Lower this process's CPU priority by ``steps`` (inherited by the processes it starts); the new nice.

    Only ever lowered: an unprivileged process cannot raise its priority again, and a worker started at a
    higher nice by its supervisor keeps that.
    """
    if steps <= 0 or not hasattr(os, "nice"):
        return os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0
    return os.nice(steps)


class Command(BaseCommand):
    help = "Run the background task worker: the database queue by default, RQ when REDIS_URL is set."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="Run queued tasks, then exit (database queue)."
        )

    def handle(self, *args, batch: bool, **options) -> None:
        nice = lower_priority(worker_nice())
        logger.info("worker running at nice %d (DABAI_WORKER_NICE)", nice)
        if not batch:
            start_heartbeat()
            # long_running: apps may start their own lanes beside the queue (the channels' drain does).
            worker_started.send(sender=self.__class__, long_running=True)
        if settings.REDIS_URL:
            # In-process jobs (the filter model loads once) and upkeep every 30 s (see dabai.core.rqworker).
            call_command(
                "rqworker",
                "default",
                job_class="django_tasks_rq.Job",
                worker_class="dabai.core.rqworker.Worker",
                burst=batch,
                with_scheduler=True,
            )
        else:
            call_command("db_worker", batch=batch, interval=0.5)
