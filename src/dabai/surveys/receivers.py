"""Surveys listen to the worker's start to begin the hourly reminder run."""

from django.dispatch import receiver

from dabai.core.signals import worker_started
from dabai.surveys import tasks


@receiver(worker_started, dispatch_uid="surveys.worker_started")
def start_reminders(sender, **kwargs) -> None:
    tasks.start_reminders()
