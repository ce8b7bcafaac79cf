"""The satisfaction survey: one short link after resolution, on the customer's own channel, answered once."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dabai.channels.services import set_subscription
from dabai.conversations.models import Direction, Insight, Message, Status
from dabai.conversations.services import change_status, post_reply, read_messages, receive_message
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity
from dabai.quality import services
from dabai.quality.models import Outcome, Survey, SurveyStatus
from dabai.testing import CustomerFactory, run_queued_tasks

LINK = re.compile(r"/quality/s/([^/\s]+)/")


@pytest.fixture
def resolved(db, agent):
    customer = CustomerFactory(display_name="李先生")
    ChannelIdentity.objects.create(customer=customer, channel=Channel.WECHAT, external_id="openid-li")
    received = receive_message(customer=customer, channel=Channel.WECHAT, body="我的快递三天了还没到")
    read_messages([received.message])
    conversation = received.message.conversation
    post_reply(conversation, agent, "已为您催促快递公司，今天会送到。")
    change_status(conversation, Status.RESOLVED, actor=agent)
    conversation.refresh_from_db()
    return conversation


def survey_path(survey: Survey) -> str:
    return LINK.search(survey.message.body).group(0)


def test_resolving_sends_one_survey_link_on_the_customers_channel_through_the_reply_path(
    db, agent, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    received = receive_message(customer=customer, channel=Channel.WECHAT, body="我的快递三天了还没到")
    conversation = received.message.conversation
    post_reply(conversation, agent, "已为您催促快递公司。")
    conversation.refresh_from_db()
    first_response = conversation.first_response_at

    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation, Status.RESOLVED, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()

    survey = Survey.objects.get(conversation=conversation)
    assert survey.agent == agent and survey.channel == Channel.WECHAT
    message = survey.message
    assert message.direction == Direction.OUTBOUND and message.channel == Channel.WECHAT
    assert message.author.is_automated
    assert LINK.search(message.body)
    assert "满意" in message.body or "评价" in message.body
    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED
    assert conversation.first_response_at == first_response  # the survey is nobody's response
    assert message.delivery_status != ""  # handed to the channel's delivery (queued, sent or failed)


def test_at_most_one_survey_per_customer_within_the_cooldown(resolved, agent):
    assert services.send_survey(resolved) is not None
    assert services.send_survey(resolved) is None  # this conversation has its survey

    again = receive_message(customer=resolved.customer, channel=Channel.WECHAT, body="发票怎么开")
    conversation = again.message.conversation
    change_status(conversation, Status.RESOLVED, actor=agent)
    assert services.survey_blocker(conversation) == "surveyed recently"
    later = timezone.now() + timedelta(days=31)
    assert services.survey_blocker(conversation, later) == ""


def test_never_to_someone_who_unsubscribed(resolved):
    set_subscription(Channel.WECHAT, "openid-li", False)

    assert services.send_survey(resolved) is None
    assert not Survey.objects.exists()


def test_no_survey_under_a_public_post_or_before_resolution(db, agent):
    customer = CustomerFactory()
    public = receive_message(customer=customer, channel=Channel.WEIBO, body="快递太慢了", is_public=True)
    change_status(public.message.conversation, Status.RESOLVED, actor=agent)
    assert services.survey_blocker(public.message.conversation) == "public post"
    still_open = receive_message(customer=CustomerFactory(), channel=Channel.SMS, body="快递太慢了")
    assert services.survey_blocker(still_open.message.conversation) == "not resolved"


def test_the_customer_answers_once_and_the_comment_is_customer_voice(resolved):
    survey = services.send_survey(resolved)
    anonymous = Client()
    path = survey_path(survey)

    page = anonymous.get(path)
    assert page.status_code == 200
    assert "★" in page.content.decode()

    answer = {"rating": "2", "effort": "1", "comment": "快递拖了三天，客服只会说催一下，电话13812345678"}
    assert anonymous.post(path, answer).status_code == 200

    survey.refresh_from_db()
    assert survey.status == SurveyStatus.ANSWERED and survey.rating == 2 and survey.effort == 1
    comment = survey.comment_message
    assert comment.direction == Direction.INBOUND and comment.conversation_id == resolved.pk
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED  # a comment does not reopen the conversation
    read_messages([comment])  # the worker reads it as it reads any customer message
    assert Insight.objects.get(message=comment).sentiment == "negative"
    outcome = Outcome.objects.get(conversation=resolved)
    assert outcome.csat == 2 and outcome.effort == 1
    assert outcome.reopened is False and outcome.first_contact_resolved is True
    assert outcome.sentiment_last != "" and Message.objects.filter(pk=comment.pk).exists()

    assert anonymous.post(path, {"rating": "5"}).status_code == 410
    survey.refresh_from_db()
    assert survey.rating == 2


def test_a_forged_or_expired_link_answers_nothing(resolved):
    survey = services.send_survey(resolved)
    path = survey_path(survey)
    anonymous = Client()

    assert anonymous.get(path[:-3] + "xx/").status_code == 404
    assert anonymous.post(path, {"rating": "9"}).status_code == 200  # shown again with the error
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert anonymous.post(path, {"rating": "5"}).status_code == 410
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.SENT and survey.rating is None
