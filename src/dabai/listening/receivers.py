"""Listening starts its reading chain when a worker starts."""

from django.dispatch import receiver

from dabai.core.signals import worker_started
from dabai.listening.tasks import start_polling


@receiver(worker_started, dispatch_uid="listening.poll")
def start_listening(sender, **kwargs) -> None:
    start_polling()
