"""Listening to conversations: every agent reply is handed to the delivery task of its channel."""

from django.dispatch import receiver

from dabai.channels.tasks import deliver_reply
from dabai.conversations.models import Direction, Message
from dabai.conversations.signals import reply_posted


@receiver(reply_posted, dispatch_uid="dabai.channels.deliver_reply")
def queue_delivery(sender: type, message: Message, **kwargs: object) -> None:
    """Sent after commit by ``post_reply``; the reply is already marked queued."""
    if message.direction == Direction.OUTBOUND:
        deliver_reply.enqueue(message.pk)
