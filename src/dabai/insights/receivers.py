"""The portal listens to conversations (never the other way round): new readings, replies and status
changes refresh the conversation's case after commit."""

from django.dispatch import receiver

from dabai.conversations.models import Conversation, Insight, Message
from dabai.conversations.signals import insights_stored, reply_posted, status_changed
from dabai.core.signals import worker_started
from dabai.core.tasking import enqueue_on_commit
from dabai.insights.tasks import index_cases, start_chain


@receiver(insights_stored, dispatch_uid="dabai.insights.index_read")
def index_read(sender: type, insights: list[Insight], **kwargs: object) -> None:
    ids = sorted({i.message.conversation_id for i in insights})
    if ids:
        enqueue_on_commit(index_cases, ids)


@receiver(reply_posted, dispatch_uid="dabai.insights.index_reply")
def index_reply(sender: type, message: Message, **kwargs: object) -> None:
    index_cases.enqueue([message.conversation_id])


@receiver(status_changed, dispatch_uid="dabai.insights.index_status")
def index_status(sender: type, conversation: Conversation, **kwargs: object) -> None:
    enqueue_on_commit(index_cases, [conversation.pk])


@receiver(worker_started, dispatch_uid="dabai.insights.schedules")
def start_schedules(sender: type, **kwargs: object) -> None:
    """A worker starts the daily discovery and emerging-issue run and the weekly digests (fresh chains)."""
    start_chain("daily")
    start_chain("digest")
