"""Knowledge listens to conversations (never the other way round)."""

from django.dispatch import receiver

from dabai.conversations.models import Direction, Insight, Message
from dabai.conversations.signals import insight_stored
from dabai.core.tasking import enqueue_on_commit
from dabai.knowledge.tasks import bot_respond


@receiver(insight_stored, dispatch_uid="dabai.knowledge.bot")
def queue_bot(sender: type, insight: Insight, message: Message, **kwargs: object) -> None:
    """The bot needs the filter's reading (anger, escalation risk), so it starts once the insight exists."""
    from dabai.knowledge.bot import policy

    current = policy()
    if (
        message.direction == Direction.INBOUND
        and current.enabled
        and message.channel in current.channel_list()
    ):
        enqueue_on_commit(bot_respond, message.pk)
