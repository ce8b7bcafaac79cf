"""The portal listens to conversations (never the other way round): new readings, replies and status
changes refresh the conversation's case after commit."""

from django.apps import apps
from django.db import transaction
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from dabai.conversations.models import Conversation, Insight, Message
from dabai.conversations.signals import insights_stored, reply_posted, status_changed
from dabai.core.memo import enqueue_after_batch
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
    """Sent after commit; the bot's replies of one batch job refresh their cases in one job."""
    if not enqueue_after_batch(index_cases, [message.conversation_id]):
        index_cases.enqueue([message.conversation_id])


@receiver(status_changed, dispatch_uid="dabai.insights.index_status")
def index_status(sender: type, conversation: Conversation, **kwargs: object) -> None:
    enqueue_on_commit(index_cases, [conversation.pk])


@receiver(worker_started, dispatch_uid="dabai.insights.schedules")
def start_schedules(sender: type, **kwargs: object) -> None:
    """A worker starts the daily discovery and emerging-issue run and the weekly digests (fresh chains)."""
    start_chain("daily")
    start_chain("digest")


def follow_ups_linked(
    sender: type, instance: object, action: str, pk_set: set | None, **kwargs: object
) -> None:
    """A follow-up's cases changed (the follow-ups app's relation): their "has follow-up" facet follows."""
    from dabai.insights.services import mark_follow_ups

    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if isinstance(instance, Conversation):
        ids = [instance.pk]
    else:
        ids = list(pk_set or []) or list(instance.conversations.values_list("pk", flat=True))
    if ids:
        transaction.on_commit(lambda: mark_follow_ups(ids))


def connect_follow_ups() -> None:
    """Listen to the follow-ups' case links when that app is installed (looked up by name, never imported)."""
    if apps.is_installed("dabai.followups"):
        through = apps.get_model("followups", "FollowUp").conversations.through
        m2m_changed.connect(follow_ups_linked, sender=through, dispatch_uid="dabai.insights.follow_ups")
