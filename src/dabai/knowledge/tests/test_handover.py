"""A hand-over tells the customer at once where they stand (issue 15): their place in the real queue and a
wait estimate, or, out of opening hours, when a person answers and an offer to leave a contact."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dabai.conversations.models import Conversation, Direction
from dabai.conversations.services import post_reply
from dabai.knowledge.models import BotEvent
from dabai.knowledge.tests import test_bot
from dabai.knowledge.tests.test_bot import customer_writes, last_event, outbound
from dabai.routing.models import BusinessHours, CalendarDay
from dabai.testing import CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _commit_hooks(django_capture_on_commit_callbacks):
    test_bot.capture = django_capture_on_commit_callbacks


def _today():
    return timezone.now().astimezone(SHANGHAI).date()


@pytest.fixture
def open_now(db):
    """The centre is open all day today, whatever day and hour the test runs."""
    CalendarDay.objects.create(date=_today(), is_workday=True)
    BusinessHours.objects.update_or_create(
        team=None, defaults={"opens": time(0, 0), "closes": time(23, 59, 59)}
    )


@pytest.fixture
def closed_today(db):
    """Today is a holiday; tomorrow is a workday opening at 09:00."""
    CalendarDay.objects.create(date=_today(), is_workday=False)
    CalendarDay.objects.create(date=_today() + timedelta(days=1), is_workday=True)
    BusinessHours.objects.update_or_create(team=None, defaults={"opens": time(9, 0), "closes": time(18, 0)})


def test_asking_for_a_person_tells_the_place_in_the_queue_and_the_wait(help_centre, open_now):
    customer_writes("你们公司明年会在杭州开实体店吗")
    customer_writes("发票怎么开具")
    conversation = customer_writes("转人工")
    event = last_event(conversation)
    assert event.action == BotEvent.Action.HAND_OVER
    assert not event.out_of_hours
    # No first responses in the last 7 days: 3 minutes per customer, nobody available -> (2 + 1) × 3.
    assert outbound(conversation) == ["正在为您转接人工客服，前面还有 2 位，预计等待 9 分钟。"]
    assert event.reply.body == outbound(conversation)[0]
    note = conversation.messages.get(direction=Direction.NOTE).body
    assert "前面 2 位" in note


def test_the_estimate_follows_the_recent_first_response_time(help_centre, open_now, agent):
    answered = customer_writes("发票怎么开具")
    post_reply(answered, agent, "您好，我来帮您")
    start = answered.first_response_at - timedelta(minutes=7)
    Conversation.objects.filter(pk=answered.pk).update(created_at=start)
    conversation = customer_writes("转人工")
    assert "预计等待 7 分钟" in outbound(conversation)[0]
    assert "前面还有 0 位" in outbound(conversation)[0]


def test_an_answer_that_did_not_help_hands_over_with_the_queue_too(help_centre, open_now):
    customer = CustomerFactory()
    conversation = customer_writes("退款多久能到账？", customer=customer)
    customer_writes("没解决", customer=customer)
    assert last_event(conversation).reason == BotEvent.Reason.NOT_HELPFUL
    assert outbound(conversation)[-1].startswith("正在为您转接人工客服")
    note = conversation.messages.get(direction=Direction.NOTE).body
    assert "退款多久能到账" in note, "the agent sees the question"
    assert "/help/s/" in note and "没有解决" in note, "and the article that did not solve it"


def test_low_confidence_hands_over_and_still_tells_the_customer(help_centre, open_now):
    conversation = customer_writes("你们公司明年会在杭州开实体店吗")
    assert last_event(conversation).reason == BotEvent.Reason.LOW_CONFIDENCE
    [told] = outbound(conversation)
    assert told.startswith("正在为您转接人工客服")


def test_out_of_hours_says_when_a_person_answers_and_offers_to_leave_a_contact(help_centre, closed_today):
    conversation = customer_writes("转人工")
    event = last_event(conversation)
    assert event.out_of_hours
    [told] = outbound(conversation)
    assert "明天 09:00" in told
    assert "手机号或邮箱" in told


def test_a_contact_left_out_of_hours_is_noted_for_the_agent_and_acknowledged(help_centre, closed_today):
    customer = CustomerFactory()
    conversation = customer_writes("转人工", customer=customer)
    customer_writes("我的电话13812345678，邮箱 Du.Li@example.com", customer=customer)
    event = last_event(conversation)
    assert event.action == BotEvent.Action.CONTACT
    notes = list(conversation.messages.filter(direction=Direction.NOTE).values_list("body", flat=True))
    assert any("13812345678" in n and "du.li@example.com" in n for n in notes)
    ack = outbound(conversation)[-1]
    assert "138****5678" in ack and "13812345678" not in ack, "the acknowledgement masks the number"


def test_a_message_without_a_contact_after_hours_gets_no_reply(help_centre, closed_today):
    customer = CustomerFactory()
    conversation = customer_writes("转人工", customer=customer)
    customer_writes("好的", customer=customer)
    assert len(outbound(conversation)) == 1


def test_asking_again_after_the_hand_over_always_gets_an_answer(help_centre, open_now):
    customer = CustomerFactory()
    conversation = customer_writes("转人工", customer=customer)
    customer_writes("人工客服呢？", customer=customer)
    assert last_event(conversation).action == BotEvent.Action.QUEUE_UPDATE
    assert len(outbound(conversation)) == 2
    assert outbound(conversation)[-1].startswith("正在为您转接人工客服")


def test_asking_for_a_person_when_one_already_answered(help_centre, open_now, agent):
    customer = CustomerFactory()
    conversation = customer_writes("发票怎么开具", customer=customer)
    post_reply(conversation, agent, "您好，我是小李")
    customer_writes("转人工", customer=customer)
    assert outbound(conversation)[-1] == "已有客服在为您服务，请在这里留言，我们马上回复。"
