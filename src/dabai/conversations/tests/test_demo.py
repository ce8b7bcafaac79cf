"""The demo's conversations part: a merge for the supervisors to undo."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from dabai.accounts.models import Role
from dabai.conversations import services
from dabai.conversations.demo import seed_demo
from dabai.conversations.models import Conversation, ConversationMerge, ConversationSplit
from dabai.core.choices import Channel
from dabai.testing import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_merges_one_customers_two_conversations():
    users = {"banzhang": UserFactory(role=Role.SUPERVISOR), "xiaoli": UserFactory(role=Role.AGENT)}
    twice = CustomerFactory()
    for channel in (Channel.WECHAT, Channel.PHONE):
        services.receive_message(customer=twice, channel=channel, body="宽带断了")
    for n in range(6):
        customer = CustomerFactory()
        services.receive_message(customer=customer, channel=Channel.CHAT, body="在吗")
        services.receive_message(customer=customer, channel=Channel.CHAT, body=f"订单{n}还没到")
    now = timezone.now()
    world = SimpleNamespace(now=now, seed=7, users=users, teams={}, customers=[])
    seed_demo(world)
    seed_demo(world)  # once only
    assert ConversationMerge.objects.count() == 1 and not ConversationSplit.objects.exists()
    assert Conversation.objects.count() == 8, "the demo's conversations stay the ones it made"
    assert ConversationMerge.objects.get().surviving.customer == twice
