"""The chat widget draws the bot's answers as article cards with a real link and 解决了 / 没解决, and opens
with suggested questions from the most-read articles (issue 15)."""

import pytest
from django.urls import reverse

from dabai.channels.chat import history, start_visitor
from dabai.channels.chat.visitors import ensure_customer, welcome
from dabai.knowledge.models import Article, BotEvent
from dabai.knowledge.selectors import chat_cards, popular_questions
from dabai.knowledge.tests import test_bot
from dabai.knowledge.tests.test_bot import customer_writes, last_event


@pytest.fixture(autouse=True)
def _commit_hooks(django_capture_on_commit_callbacks):
    test_bot.capture = django_capture_on_commit_callbacks


def _visitor_customer():
    visitor = start_visitor()
    ensure_customer(visitor)
    return visitor


def test_an_answer_is_a_card_with_the_help_centre_link_and_the_solved_question(help_centre):
    visitor = _visitor_customer()
    conversation = customer_writes("退款多久能到账？", customer=visitor.customer)
    event = last_event(conversation)
    card = chat_cards([event.reply_id])[event.reply_id]
    article = help_centre["refund-time"]
    assert card == {
        "kind": "article",
        "title": article.title,
        "summary": article.summary,
        "url": reverse("help:article", kwargs={"slug": article.slug}),
        "ask": True,
    }
    [shown] = [e for e in history(visitor) if e["from"] == "agent"]
    assert shown["card"]["kind"] == "article", "the widget gets the card with the history"
    assert shown["text"].endswith(
        "这个回答解决您的问题了吗？请回复“解决了”或“没解决”，需要人工服务请回复“转人工”。"
    )


def test_once_answered_the_card_no_longer_asks(help_centre):
    visitor = _visitor_customer()
    conversation = customer_writes("退款多久能到账？", customer=visitor.customer)
    answer = last_event(conversation)
    customer_writes("解决了", customer=visitor.customer)
    assert last_event(conversation).reason == BotEvent.Reason.HELPFUL
    assert chat_cards([answer.reply_id])[answer.reply_id]["ask"] is False


def test_not_solved_hands_over_and_the_hand_over_is_a_card_too(help_centre):
    visitor = _visitor_customer()
    conversation = customer_writes("退款多久能到账？", customer=visitor.customer)
    customer_writes("没解决", customer=visitor.customer)
    event = last_event(conversation)
    assert event.action == BotEvent.Action.HAND_OVER
    assert chat_cards([event.reply_id])[event.reply_id] == {
        "kind": "handover",
        "out_of_hours": event.out_of_hours,
    }


def test_messages_from_people_get_no_card(help_centre, agent):
    visitor = _visitor_customer()
    conversation = customer_writes("转人工", customer=visitor.customer)
    message = test_bot.post_reply(conversation, agent, "您好")
    assert chat_cards([message.pk]) == {}


def test_suggested_questions_are_the_most_read_published_articles(help_centre, client):
    for _ in range(3):
        client.get(reverse("help:article", kwargs={"slug": "reset-password"}))
    client.get(reverse("help:article", kwargs={"slug": "invoice"}))
    Article.objects.filter(slug="late-delivery").update(status="draft", view_count=99)
    questions = popular_questions()
    assert questions[:2] == [help_centre["reset-password"].title, help_centre["invoice"].title]
    assert help_centre["late-delivery"].title not in questions, "drafts are never suggested"
    assert 3 <= len(questions) <= 5
    assert welcome() == {"type": "welcome", "suggestions": questions}


def test_a_bot_answer_counts_as_a_view(help_centre):
    customer_writes("忘记密码怎么办")
    help_centre["reset-password"].refresh_from_db()
    assert help_centre["reset-password"].view_count == 1


def test_the_demo_suggests_what_customers_read_most(help_centre):
    from types import SimpleNamespace

    from dabai.knowledge.demo import seed_demo

    seed_demo(SimpleNamespace(seed=7))
    assert popular_questions() == [
        help_centre[slug].title
        for slug in ("refund-time", "track-delivery", "broadband-down", "reset-password")
    ]
