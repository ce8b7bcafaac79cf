"""Past conversations (the demo, another helpdesk's history) are stored as they were, by the one writer."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dabai.conversations import signals
from dabai.conversations.models import DeliveryStatus, Direction, Insight, Priority, Status
from dabai.conversations.services import URGENCY_PRIORITY, PastConversation, PastMessage, record_history
from dabai.core.choices import Channel
from dabai.testing import CustomerFactory

pytestmark = pytest.mark.django_db


def test_history_keeps_its_status_and_its_counters_follow_from_its_messages(agent):
    start = timezone.now() - timedelta(days=3)
    messages = [
        PastMessage(Direction.INBOUND, "宽带断网了，我的电话是13812345678", start, external_id="old-1"),
        PastMessage(Direction.OUTBOUND, "您好，已为您报修", start + timedelta(minutes=7), author=agent),
        PastMessage(Direction.INBOUND, "修好了，谢谢", start + timedelta(hours=2), external_id="old-2"),
    ]
    (conversation,) = record_history(
        [PastConversation(CustomerFactory(), Channel.SMS, messages, status=Status.CLOSED, assignee=agent)]
    )
    conversation.refresh_from_db()
    assert conversation.status == Status.CLOSED and conversation.assignee == agent
    assert conversation.message_count == 3
    assert conversation.last_message_at == conversation.last_inbound_at == start + timedelta(hours=2)
    assert conversation.first_response_at == start + timedelta(minutes=7)
    assert conversation.resolved_at == conversation.closed_at == start + timedelta(hours=2)
    assert conversation.preview == "修好了，谢谢"
    stored = list(conversation.messages.values_list("direction", "delivery_status", "external_id"))
    assert stored == [
        (Direction.INBOUND, DeliveryStatus.NONE, "old-1"),
        (Direction.OUTBOUND, DeliveryStatus.SENT, None),
        (Direction.INBOUND, DeliveryStatus.NONE, "old-2"),
    ]
    assert Insight.objects.filter(message__conversation=conversation).count() == 2


def test_history_is_not_new_work_nothing_is_announced_or_queued():
    heard = []

    def listen(sender, **kwargs):
        heard.append(sender)

    signals.messages_received.connect(listen)
    signals.insights_stored.connect(listen)
    try:
        record_history(
            [
                PastConversation(
                    CustomerFactory(),
                    Channel.WECHAT,
                    [PastMessage(Direction.INBOUND, "再不解决我就打12315投诉！", timezone.now())],
                    status=Status.OPEN,
                )
            ]
        )
    finally:
        signals.messages_received.disconnect(listen)
        signals.insights_stored.disconnect(listen)
    assert heard == []
    assert not DBTaskResult.objects.exists()
    # The filter's reading is stored, and an urgent one raises the priority as live intake would.
    insight = Insight.objects.get()
    assert insight.urgency in {"high", "critical"}
    assert insight.message.conversation.priority == URGENCY_PRIORITY[insight.urgency] > Priority.NORMAL


def test_history_is_read_only_when_asked():
    record_history(
        [
            PastConversation(
                CustomerFactory(), Channel.EMAIL, [PastMessage(Direction.INBOUND, "发票", timezone.now())]
            )
        ],
        read=False,
    )
    assert not Insight.objects.exists()
