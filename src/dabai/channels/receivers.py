"""Listening to conversations (replies go out through their channel) and to the worker (its drain lane, its
heartbeat)."""

from django.dispatch import receiver
from django_tasks import TaskResult
from django_tasks.signals import task_finished

from dabai.channels.chat.visitors import push_live_reply
from dabai.channels.drain import start_drain_process
from dabai.channels.tasks import deliver_reply, revive_periodic_tasks
from dabai.conversations.models import Direction, Message
from dabai.conversations.signals import reply_posted
from dabai.core.choices import Channel
from dabai.core.signals import worker_started


@receiver(reply_posted, dispatch_uid="dabai.channels.deliver_reply")
def queue_delivery(sender: type, message: Message, **kwargs: object) -> None:
    """Sent after commit by ``post_reply``; the reply is already marked queued.

    A chat reply to a visitor whose widget is open goes out at once from this process, so it also reaches
    them with the in-memory channel layer (no Redis); everything else is delivered by the worker.
    """
    if message.direction != Direction.OUTBOUND:
        return
    if message.channel == Channel.CHAT and push_live_reply(message):
        return
    deliver_reply.enqueue(message.pk)


@receiver(task_finished, dispatch_uid="dabai.channels.revive_periodic")
def revive_on_heartbeat(sender: type, task_result: TaskResult, **kwargs: object) -> None:
    """Each worker heartbeat checks that the channel chains (IMAP poll, sweep) are alive."""
    if task_result.task.module_path == "dabai.core.tasks.heartbeat":
        revive_periodic_tasks()


@receiver(worker_started, dispatch_uid="dabai.channels.drain_loop")
def drain_beside_the_queue(sender: type, long_running: bool = False, **kwargs: object) -> None:
    """Every worker drains arrivals in its own lane, never behind the queue's backlog (``drain_forever``).

    Only a worker that keeps running (``dabai worker``, not ``--batch``) starts one.
    """
    if long_running:
        start_drain_process()
