"""Conversations for the demo centre: a few snoozed ones (back tomorrow morning, or when the customer writes)
and one merge of a customer's two active conversations, so the supervisors' page of merges and splits has
something to undo (no split: the demo's conversations stay the ones the builder made). All through the
conversation services, deterministic, a handful of queries."""

import random
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from dabai.conversations import services
from dabai.conversations.models import Conversation, ConversationMerge, Status

SNOOZED = 4


def seed_demo(world) -> None:
    if ConversationMerge.objects.exists():
        return
    rng = random.Random(world.seed)
    supervisor, agent = world.users["banzhang"], world.users["xiaoli"]
    _merge_one(supervisor)
    morning = (timezone.localtime(world.now) + timedelta(days=1)).replace(hour=9, minute=0)  # centre time
    active = list(
        Conversation.objects.filter(status=Status.OPEN, snoozed_until__isnull=True, merged_into__isnull=True)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for pk in rng.sample(active, min(SNOOZED, len(active))):
        services.snooze(Conversation.objects.get(pk=pk), until=morning, actor=agent)


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
