"""Replies listen to conversations (never the other way round): a new internal note may mention colleagues."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from dabai.conversations.models import Direction, Message


@receiver(post_save, sender=Message, dispatch_uid="replies.note_mentions")
def note_mentions(sender, instance: Message, created: bool, **kwargs) -> None:
    """Whatever path stores a note (desk, API, import), its @-mentions notify the colleagues named."""
    if created and instance.direction == Direction.NOTE and instance.author_id and "@" in instance.body:
        from dabai.replies.services import record_mentions

        record_mentions(instance, instance.author)
