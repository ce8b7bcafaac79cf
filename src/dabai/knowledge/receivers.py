"""Knowledge listens to conversations (never the other way round)."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from dabai.conversations.models import Direction, Insight
from dabai.conversations.signals import insights_stored
from dabai.core.tasking import enqueue_on_commit
from dabai.knowledge.models import Article, SearchEntry
from dabai.knowledge.search import remove_document
from dabai.knowledge.tasks import bot_respond_all


@receiver(insights_stored, dispatch_uid="dabai.knowledge.bot")
def queue_bot(sender: type, insights: list[Insight], **kwargs: object) -> None:
    """The bot needs the filter's reading (anger, escalation risk), so it starts once the insight exists.

    One job for the whole batch of readings (see ``bot_respond_all``), queued after commit.
    """
    from dabai.knowledge.bot import policy

    current = policy()
    if not current.enabled:
        return
    channels = current.channel_list()
    wanted = [
        insight.message.pk
        for insight in insights
        if insight.message.direction == Direction.INBOUND and insight.message.channel in channels
    ]
    if wanted:
        enqueue_on_commit(bot_respond_all, wanted)


@receiver(post_delete, sender=Article, dispatch_uid="dabai.knowledge.unindex_article")
def unindex_article(sender: type, instance: Article, **kwargs: object) -> None:
    """An article deleted (in the admin, say) leaves the search index with it."""
    remove_document(SearchEntry.Kind.ARTICLE, instance.pk)
