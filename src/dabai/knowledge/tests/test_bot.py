"""The bot answers from the knowledge base when confident and hands over to a person otherwise."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dabai.conversations.models import Direction
from dabai.conversations.services import post_reply, receive_message
from dabai.core.choices import Channel
from dabai.knowledge.bot import bot_user, policy
from dabai.knowledge.models import BotEvent, SearchLog
from dabai.testing import CustomerFactory, run_queued_tasks

capture = None


@pytest.fixture(autouse=True)
def _commit_hooks(django_capture_on_commit_callbacks):
    global capture
    capture = django_capture_on_commit_callbacks


def customer_writes(body: str, channel: str = Channel.CHAT, customer=None, sent_at=None):
    """The customer writes; the worker runs the filter, then the bot (and delivery), as in production."""
    customer = customer or CustomerFactory()
    with capture(execute=True):
        message = receive_message(channel=channel, customer=customer, body=body, sent_at=sent_at).message
    while True:
        with capture(execute=True):
            ran = run_queued_tasks()
        if not ran:
            break
    message.conversation.refresh_from_db()
    return message.conversation


def outbound(conversation) -> list[str]:
    return list(conversation.messages.filter(direction=Direction.OUTBOUND).values_list("body", flat=True))


def last_event(conversation) -> BotEvent:
    return conversation.bot_events.order_by("-id").first()


def test_confident_question_gets_the_article_and_a_did_it_help_question(help_centre):
    conversation = customer_writes("退款多久能到账？")
    event = last_event(conversation)
    assert event.action == BotEvent.Action.ANSWER
    assert event.article == help_centre["refund-time"]
    [reply] = outbound(conversation)
    assert help_centre["refund-time"].title in reply
    assert "/help/s/" in reply
    assert "这个回答解决您的问题了吗" in reply
    assert conversation.assignee_id != bot_user().pk


def test_wechat_questions_are_answered_too(help_centre):
    conversation = customer_writes("忘记密码怎么办", channel=Channel.WECHAT)
    assert last_event(conversation).article == help_centre["reset-password"]


def test_email_is_left_to_people(help_centre):
    conversation = customer_writes("退款多久能到账？", channel=Channel.EMAIL)
    assert not conversation.bot_events.exists()
    assert outbound(conversation) == []


@pytest.mark.parametrize("words", ["转人工", "我要人工客服", "轉人工", "human please"])
def test_customer_asking_for_a_person_is_handed_over_with_context(help_centre, words):
    conversation = customer_writes(words)
    event = last_event(conversation)
    assert event.action == BotEvent.Action.HAND_OVER
    assert event.reason == BotEvent.Reason.ASKED_FOR_HUMAN
    note = conversation.messages.get(direction=Direction.NOTE)
    assert words in note.body
    assert len(outbound(conversation)) == 1, "the customer is told a person is coming"
    assert conversation.status == "open"
    assert conversation.assignee_id != bot_user().pk


def test_angry_customer_goes_to_a_person_even_with_a_matching_article(help_centre):
    conversation = customer_writes("你们这什么破服务！退款到现在都没到账，再不处理我就投诉到消协！")
    event = last_event(conversation)
    assert event.action == BotEvent.Action.HAND_OVER
    assert event.reason in {BotEvent.Reason.ESCALATION_RISK, BotEvent.Reason.ANGER}
    note = conversation.messages.get(direction=Direction.NOTE).body
    assert "negative" not in note, "the agent reads the filter's findings in words, not internal keys"
    assert "负面" in note


def test_question_the_knowledge_base_cannot_answer_is_handed_over(help_centre):
    conversation = customer_writes("你们公司明年会在杭州开实体店吗")
    event = last_event(conversation)
    assert event.reason == BotEvent.Reason.LOW_CONFIDENCE
    assert SearchLog.objects.filter(source="bot", is_gap=True).exists()
    [told] = outbound(conversation)
    assert "人工客服" in told, (
        "the customer is told a person is coming (issue 15), not left waiting in silence"
    )
    assert "明年会在杭州开实体店" in conversation.messages.get(direction=Direction.NOTE).body


def test_threshold_is_configurable(help_centre):
    bot_policy = policy()
    bot_policy.min_confidence = 1.01
    bot_policy.save()
    conversation = customer_writes("退款多久能到账？")
    assert last_event(conversation).reason == BotEvent.Reason.LOW_CONFIDENCE


def test_no_after_an_answer_hands_over_and_counts_as_not_helpful(help_centre):
    customer = CustomerFactory()
    conversation = customer_writes("退款多久能到账？", customer=customer)
    customer_writes("没用", customer=customer)
    event = last_event(conversation)
    assert event.reason == BotEvent.Reason.NOT_HELPFUL
    help_centre["refund-time"].refresh_from_db()
    assert help_centre["refund-time"].not_helpful_count == 1


def test_yes_after_an_answer_is_recorded_as_helpful(help_centre):
    customer = CustomerFactory()
    conversation = customer_writes("退款多久能到账？", customer=customer)
    customer_writes("有用", customer=customer)
    assert last_event(conversation).reason == BotEvent.Reason.HELPFUL
    help_centre["refund-time"].refresh_from_db()
    assert help_centre["refund-time"].helpful_count == 1


def test_bot_stays_silent_after_a_hand_over_and_once_an_agent_replied(help_centre, agent):
    customer = CustomerFactory()
    conversation = customer_writes("转人工", customer=customer)
    customer_writes("退款多久能到账？", customer=customer)
    assert conversation.bot_events.count() == 1
    other = customer_writes("发票怎么开", customer=CustomerFactory())
    post_reply(other, agent, "我来帮您看一下")
    customer_writes("退款多久能到账？", customer=other.customer)
    assert other.bot_events.count() == 1


def test_greeting_gets_an_invitation_not_a_hand_over(help_centre):
    conversation = customer_writes("你好")
    assert last_event(conversation).reason == BotEvent.Reason.GREETING


def test_old_messages_from_a_backlog_are_left_to_people(help_centre):
    conversation = customer_writes("退款多久能到账？", sent_at=timezone.now() - timedelta(hours=2))
    assert not conversation.bot_events.exists()
    assert conversation.messages.filter(insight__isnull=False).exists(), "the filter did read it"
