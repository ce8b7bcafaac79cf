"""Outcomes per resolved conversation: did the customer's problem go away, on any channel?"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dabai.accounts.models import Role
from dabai.conversations.models import Conversation, Status
from dabai.conversations.services import (
    assign,
    change_status,
    post_reply,
    read_messages,
    receive_message,
)
from dabai.core.choices import Channel
from dabai.quality.models import Journey, Outcome
from dabai.quality.services import recompute_outcomes
from dabai.testing import ConversationFactory, CustomerFactory, MessageFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
LATE_PARCEL = "我的快递三天了还没到，物流一直不更新"
STILL_NO_PARCEL = "你好，我上周问的那个快递到现在还没送到，物流还是没动静"
PHONE_NUMBER = "我想问一下会员怎么修改绑定的手机号"


def contact(customer, channel: str, body: str, at: datetime | None = None) -> Conversation:
    """The customer writes (or calls); the filter reads it, as the worker would."""
    received = receive_message(customer=customer, channel=channel, body=body, sent_at=at)
    read_messages([received.message])
    return received.message.conversation


def resolve(conversation: Conversation, agent) -> Outcome:
    post_reply(conversation, agent, "已为您催促快递公司，今天会送到。")
    change_status(conversation, Status.RESOLVED, actor=agent)
    return Outcome.objects.get(conversation=conversation)


@pytest.fixture
def customer(db):
    return CustomerFactory(display_name="王女士")


def test_wechat_customer_who_calls_three_days_later_about_the_same_thing_was_not_resolved_first_time(
    customer, agent
):
    wechat = contact(customer, Channel.WECHAT, LATE_PARCEL)
    outcome = resolve(wechat, agent)
    assert outcome.first_contact_resolved is True
    assert outcome.intent == "logistics"

    contact(customer, Channel.PHONE, STILL_NO_PARCEL, at=timezone.now() + timedelta(days=3))

    outcome.refresh_from_db()
    assert outcome.first_contact_resolved is False
    assert outcome.reopened is False
    assert outcome.repeat_contacts == 1
    assert outcome.repeat_channels == [Channel.PHONE]


def test_another_topic_or_a_call_after_the_window_keeps_first_contact_resolution(customer, agent):
    wechat = contact(customer, Channel.WECHAT, LATE_PARCEL)
    outcome = resolve(wechat, agent)

    contact(customer, Channel.PHONE, PHONE_NUMBER, at=timezone.now() + timedelta(days=2))
    contact(customer, Channel.SMS, STILL_NO_PARCEL, at=timezone.now() + timedelta(days=8))

    outcome.refresh_from_db()
    assert outcome.first_contact_resolved is True
    assert outcome.repeat_contacts == 0


def test_the_repeat_contact_window_is_configurable(customer, agent, settings):
    settings.DABAI_FCR_WINDOW_DAYS = 2
    outcome = resolve(contact(customer, Channel.WECHAT, LATE_PARCEL), agent)

    contact(customer, Channel.PHONE, STILL_NO_PARCEL, at=timezone.now() + timedelta(days=3))

    outcome.refresh_from_db()
    assert outcome.first_contact_resolved is True
    assert outcome.window_ends_at == outcome.first_resolved_at + timedelta(days=2)


def test_another_customer_calling_about_the_same_thing_changes_nothing(customer, agent):
    outcome = resolve(contact(customer, Channel.WECHAT, LATE_PARCEL), agent)

    contact(CustomerFactory(), Channel.PHONE, STILL_NO_PARCEL, at=timezone.now() + timedelta(days=1))

    outcome.refresh_from_db()
    assert outcome.first_contact_resolved is True


def test_a_reopen_flips_first_contact_resolution_for_good(customer, agent):
    conversation = contact(customer, Channel.EMAIL, LATE_PARCEL)
    outcome = resolve(conversation, agent)
    first_resolved = outcome.first_resolved_at

    change_status(conversation, Status.OPEN, actor=agent)
    outcome.refresh_from_db()
    assert outcome.reopened is True and outcome.first_contact_resolved is False
    assert outcome.resolved_at is None

    change_status(conversation, Status.CLOSED, actor=agent)
    outcome.refresh_from_db()
    assert outcome.reopened is True and outcome.first_contact_resolved is False
    assert outcome.first_resolved_at == first_resolved
    assert outcome.resolved_at is not None


def test_a_customer_writing_into_the_resolved_thread_is_a_reopen(customer, agent):
    conversation = contact(customer, Channel.EMAIL, LATE_PARCEL)
    outcome = resolve(conversation, agent)

    receive_message(
        customer=customer,
        channel=Channel.EMAIL,
        body=STILL_NO_PARCEL,
        conversation=conversation,
        sent_at=timezone.now() + timedelta(hours=1),
    )

    outcome.refresh_from_db()
    assert outcome.reopened is True and outcome.first_contact_resolved is False


def test_response_and_resolution_times_are_business_time_on_the_working_calendar(db, agent):
    friday_5pm = datetime(2025, 3, 7, 17, 0, tzinfo=SHANGHAI)
    monday_10am = datetime(2025, 3, 10, 10, 0, tzinfo=SHANGHAI)
    monday_noon = datetime(2025, 3, 10, 12, 0, tzinfo=SHANGHAI)
    email = ConversationFactory(
        channel=Channel.EMAIL,
        status=Status.RESOLVED,
        assignee=agent,
        first_response_at=monday_10am,
        resolved_at=monday_noon,
    )
    MessageFactory(conversation=email, sent_at=friday_5pm, body=LATE_PARCEL)
    MessageFactory(conversation=email, direction="outbound", author=agent, sent_at=monday_10am, body="好的")
    chat = ConversationFactory(
        channel=Channel.CHAT,
        status=Status.RESOLVED,
        assignee=agent,
        first_response_at=monday_10am,
        resolved_at=monday_noon,
    )
    MessageFactory(conversation=chat, sent_at=friday_5pm, body=LATE_PARCEL)

    recompute_outcomes([email.pk, chat.pk])

    by_email = Outcome.objects.get(conversation=email)
    assert by_email.first_response_seconds == 2 * 3600  # Friday 17–18, Monday 9–10
    assert by_email.resolution_seconds == 4 * 3600  # Friday 17–18, Monday 9–12
    by_chat = Outcome.objects.get(conversation=chat)  # chat is answered around the clock
    assert by_chat.first_response_seconds == (monday_10am - friday_5pm).total_seconds()


def test_handoffs_count_every_agent_who_handled_it(customer, agent, other_agent, supervisor):
    conversation = contact(customer, Channel.WECHAT, LATE_PARCEL)
    assign(conversation, agent, actor=supervisor)
    assign(conversation, other_agent, actor=supervisor, team=other_agent.agent_profile.teams.first())

    outcome = resolve(conversation, other_agent)

    assert outcome.agents_touched == [agent.pk, other_agent.pk]
    assert outcome.handoffs == 1
    assert outcome.agent == other_agent
    assert outcome.teams_touched == [other_agent.agent_profile.teams.first().pk]


def test_a_conversation_the_bot_solved_alone_is_contained(customer, agent):
    bot = UserFactory(username="some-bot", role=Role.AGENT, is_automated=True)
    conversation = contact(customer, Channel.CHAT, "会员怎么修改绑定的手机号")
    post_reply(conversation, bot, "您可以在【我的-设置-手机号】中修改。")
    change_status(conversation, Status.RESOLVED, actor=None)

    outcome = Outcome.objects.get(conversation=conversation)
    assert outcome.bot_contained is True
    assert outcome.agents_touched == []
    assert outcome.first_response_seconds is None  # a bot's answer is not a human response

    handled = resolve(contact(CustomerFactory(), Channel.CHAT, LATE_PARCEL), agent)
    assert handled.bot_contained is False


def test_the_mood_journey_compares_the_first_and_last_customer_message(customer, agent):
    conversation = contact(customer, Channel.WECHAT, "气死了，快递到底什么时候到")
    receive_message(
        customer=customer,
        channel=Channel.WECHAT,
        body="好的，收到了，服务很好，谢谢",
        sent_at=timezone.now() + timedelta(minutes=5),
    )
    read_messages(list(conversation.messages.filter(direction="inbound", insight__isnull=True)))

    outcome = resolve(conversation, agent)

    assert outcome.sentiment_first == "negative"
    assert outcome.sentiment_last == "positive"
    assert outcome.journey == Journey.IMPROVED


def test_open_conversations_have_no_outcome(customer):
    conversation = contact(customer, Channel.WECHAT, LATE_PARCEL)
    assert recompute_outcomes([conversation.pk]) == []
    assert not Outcome.objects.exists()
