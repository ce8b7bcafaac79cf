from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from dabai.core.signals import worker_started
from dabai.core.tasks import start_heartbeat


class Command(BaseCommand):
    help = "Run the background task worker: the database queue by default, RQ when REDIS_URL is set."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="Run queued tasks, then exit (database queue)."
        )

    def handle(self, *args, batch: bool, **options) -> None:
        if not batch:
            start_heartbeat()
            worker_started.send(sender=self.__class__)
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
