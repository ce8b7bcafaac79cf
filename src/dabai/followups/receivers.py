"""Follow-ups listen to conversations and the worker (never the other way round)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from dabai.conversations.models import Direction, Message
from dabai.core.signals import contained, worker_started


@receiver(post_save, sender=Message, dispatch_uid="followups.department_mentions")
def department_mentions(sender, instance: Message, created: bool, **kwargs) -> None:
    """Whatever path stores a note, naming a department member (@chanpin) asks them about the case."""
    if created and instance.direction == Direction.NOTE and instance.author_id and "@" in instance.body:
        _ask_named_members(instance)


@contained("followups", "the department member named in this note is not asked")
def _ask_named_members(note: Message) -> None:
    from dabai.followups.services import record_department_mentions

    record_department_mentions(note, note.author)


@receiver(worker_started, dispatch_uid="followups.overdue_sweep")
def start_sweep(sender, **kwargs) -> None:
    from dabai.followups.tasks import start_overdue_sweep

    start_overdue_sweep()
