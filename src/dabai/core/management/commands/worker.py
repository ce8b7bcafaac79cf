import logging
import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from dabai.core import pressure
from dabai.core.profiling import profiled
from dabai.core.signals import worker_started
from dabai.core.tasks import start_heartbeat

logger = logging.getLogger(__name__)

# How much lower than the web server the worker runs (Unix nice steps, 0-19): background work on the same
# machine must not slow the doors that answer WeChat, the SMS gateway and the mail relay.
DEFAULT_NICE = 10


# The drain the worker starts beside its queue (``dabai drain``) runs between the two: a customer's message
# being stored and read comes before the bot's answers and the notifications queued behind it, and after
# the doors. (On two cores at 200 messages/s the queue's jobs would otherwise take half the drain's CPU.)
DEFAULT_DRAIN_NICE = 5


def _nice_from(variable: str, default: int) -> int:
    try:
        value = int(os.environ.get(variable, default))
    except ValueError:
        logger.warning("%s is not a whole number; using %d", variable, default)
        value = default
    return max(0, min(19, value))


def worker_nice() -> int:
    """``DABAI_WORKER_NICE`` (default 10), clamped to what ``nice`` accepts without privileges (0-19)."""
    return _nice_from("DABAI_WORKER_NICE", DEFAULT_NICE)


def drain_nice(worker: int) -> int:
    """``DABAI_DRAIN_NICE`` (default 5), never below the web server's 0 nor above the worker's own."""
    return min(worker, _nice_from("DABAI_DRAIN_NICE", DEFAULT_DRAIN_NICE))


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
        steps = worker_nice()
        if not batch:
            # Lanes started beside the queue inherit the priority of this moment: the drain's, then the
            # worker lowers itself the rest of the way.
            drain_steps = drain_nice(steps)
            lower_priority(drain_steps)
            start_heartbeat()
            # long_running: apps may start their own lanes beside the queue (the channels' drain does).
            worker_started.send(sender=self.__class__, long_running=True)
            steps -= drain_steps
        nice = lower_priority(steps)
        pressure.enable()
        logger.info("worker running at nice %d (DABAI_WORKER_NICE)", nice)
        with profiled("worker"):
            self._run(batch)

    def _run(self, batch: bool) -> None:
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
