"""Listening to conversations: every agent reply is handed to the delivery task of its channel."""

from django.dispatch import receiver

from dabai.channels.chat import push_live_reply
from dabai.channels.tasks import deliver_reply
from dabai.conversations.models import Direction, Message
from dabai.conversations.signals import reply_posted
from dabai.core.choices import Channel


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
