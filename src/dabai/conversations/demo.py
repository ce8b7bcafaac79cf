"""Conversations for the demo centre: one customer's two active conversations merged, so the supervisors' page
of merges and splits has something to undo (the desk's demo snoozes conversations; no split, so the demo's
conversations stay the ones the builder made). Through the conversation services, deterministic."""

from django.db.models import Count

from dabai.conversations import services
from dabai.conversations.models import Conversation, ConversationMerge, Status


def seed_demo(world) -> None:
    if ConversationMerge.objects.exists():
        return
    _merge_one(world.users["banzhang"])


def _merge_one(actor) -> None:
    """A customer who wrote twice on two channels: the older conversation absorbs the newer one."""
    customer_id = (
        Conversation.objects.filter(status__in=[Status.OPEN, Status.PENDING])
        .values("customer_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .first()
    )
    if customer_id is None:
        return
    first, second = Conversation.objects.filter(
        customer_id=customer_id, status__in=[Status.OPEN, Status.PENDING]
    ).order_by("created_at", "id")[:2]
    services.merge_conversations(surviving=first, absorbed=second, actor=actor)
