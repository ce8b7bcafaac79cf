"""Conversations listen to the worker starting: the snooze sweep is a chain the worker starts."""

from django.dispatch import receiver

from dabai.core.signals import worker_started


@receiver(worker_started, dispatch_uid="conversations.snooze_sweep")
def start_sweep(sender, **kwargs) -> None:
    from dabai.conversations.tasks import start_snooze_sweep

    start_snooze_sweep()
