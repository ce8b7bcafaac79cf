"""The portal as a customer on a phone reads it (issue 15): titles from the subject or first message,
customer-facing statuses, a new request with category, order number, a checked photo and article
suggestions, and a rating after resolution through the quality survey."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dabai.channels.models import Attachment
from dabai.conversations.models import Conversation, Direction, Status
from dabai.conversations.services import change_status, post_reply, receive_message
from dabai.core.choices import Channel
from dabai.knowledge.demo import load_help_centre
from dabai.portal.services import portal_user_for
from dabai.quality.models import Survey
from dabai.testing import ChannelIdentityFactory, CustomerFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@pytest.fixture
def customer(db):
    found = CustomerFactory(display_name="王芳")
    ChannelIdentityFactory(customer=found, channel=Channel.EMAIL, external_id="wangfang@example.cn")
    return found


@pytest.fixture
def portal(customer) -> Client:
    client = Client()
    client.force_login(portal_user_for(customer))
    return client


def _write(customer, body: str, subject: str = "", channel: str = Channel.WECHAT) -> Conversation:
    return receive_message(
        channel=channel, customer=customer, body=body, subject=subject, open_new=True
    ).message.conversation


def test_the_list_shows_titles_and_customer_statuses_not_channel_names(portal, customer, agent):
    titled = _write(customer, "第一条消息", subject="发票开错了", channel=Channel.EMAIL)
    untitled = _write(customer, "宽带从昨晚开始断网\n家里两台电脑都上不了")
    answered = _write(customer, "退款什么时候到")
    post_reply(answered, agent, "请提供订单号")
    solved = _write(customer, "改收货地址")
    change_status(solved, Status.RESOLVED, actor=agent)
    html = portal.get(reverse("portal:home")).content.decode()
    assert "发票开错了" in html
    assert "宽带从昨晚开始断网" in html and "家里两台电脑" not in html, "the first line of the first message"
    rows = {
        c.pk: html.split(reverse("portal:conversation", args=[c.pk]))[1][:400]
        for c in (titled, untitled, answered, solved)
    }
    assert "处理中" in rows[titled.pk] and "处理中" in rows[untitled.pk]
    assert "待您回复" in rows[answered.pk]
    assert "已解决" in rows[solved.pk]
    titles = re.findall(r'class="cx-title"><a href="[^"]+">([^<]+)</a>', html)
    assert len(titles) == 4 and not {"微信", "邮件", "网页聊天"} & set(titles), (
        "the title is never the channel"
    )


def test_a_new_request_keeps_category_order_number_and_photo(portal, customer, agent):
    load_help_centre()
    photo = SimpleUploadedFile("破损.png", PNG, content_type="image/png")
    response = portal.post(
        reverse("portal:new"),
        {
            "category": "退款与售后",
            "subject": "收到的杯子碎了",
            "order_number": "E20261130-001",
            "body": "打开快递发现杯子碎了，想退货。",
            "photo": photo,
        },
    )
    assert response.status_code == 302
    conversation = Conversation.objects.get(customer=customer)
    first = conversation.messages.get(direction=Direction.INBOUND)
    assert "退款与售后" in first.body and "E20261130-001" in first.body and "杯子碎了" in first.body
    attachment = Attachment.objects.get(message=first)
    assert (attachment.filename, attachment.content_type) == ("破损.png", "image/png")
    assert attachment.file.name.endswith(".png") and "破损" not in attachment.file.name, (
        "stored under a random name"
    )


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("photo.png", b"<html><script>alert(1)</script></html>", "不符"),
        ("photo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "JPG"),
        ("big.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 1), "5"),
    ],
)
def test_a_bad_photo_is_refused_with_a_reason_and_nothing_is_lost(portal, customer, name, data, error):
    response = portal.post(
        reverse("portal:new"),
        {
            "subject": "收到的杯子碎了",
            "body": "打开快递发现杯子碎了",
            "photo": SimpleUploadedFile(name, data),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-photo"' in html
    assert "收到的杯子碎了" in html and "打开快递发现杯子碎了" in html, "what they typed is still there"
    assert not Conversation.objects.filter(customer=customer).exists()


def test_a_bad_order_number_is_explained(portal, customer):
    response = portal.post(
        reverse("portal:new"), {"subject": "查订单", "body": "在哪", "order_number": "<script>"}
    )
    assert response.status_code == 400
    assert 'data-testid="error-order_number"' in response.content.decode()


def test_articles_are_suggested_while_typing(portal):
    load_help_centre()
    html = portal.get(reverse("portal:suggest"), {"subject": "退款多久到账", "body": ""}).content.decode()
    assert reverse("help:article", kwargs={"slug": "refund-time"}) in html
    assert "退款多久到账" in re.sub(r"</?mark>", "", html)
    assert portal.get(reverse("portal:suggest"), {"subject": "x"}).content.decode().strip() == ""


def test_only_customers_get_suggestions(client, agent):
    client.force_login(agent)
    assert client.get(reverse("portal:suggest"), {"subject": "退款"}).status_code == 302


def test_a_solved_request_can_be_rated_once_through_the_quality_survey(portal, customer, agent):
    conversation = _write(customer, "改收货地址")
    post_reply(conversation, agent, "已为您修改")
    page = portal.get(reverse("portal:conversation", args=[conversation.pk])).content.decode()
    assert 'data-testid="portal-rating"' not in page, "nothing to rate before it is solved"
    assert portal.post(reverse("portal:rate", args=[conversation.pk])).status_code == 302
    assert not Survey.objects.exists()

    change_status(conversation, Status.RESOLVED, actor=agent)
    page = portal.get(reverse("portal:conversation", args=[conversation.pk])).content.decode()
    assert "评价本次服务" in page
    response = portal.post(reverse("portal:rate", args=[conversation.pk]))
    survey = Survey.objects.get(conversation=conversation)
    assert response["Location"].endswith(
        reverse("quality:survey", kwargs={"token": response["Location"].split("/s/")[1].rstrip("/")})
    )
    page = portal.get(reverse("portal:conversation", args=[conversation.pk])).content.decode()
    assert response["Location"] in page, "the same one-time link, no second survey"
    assert Survey.objects.filter(conversation=conversation).count() == 1
    assert survey.customer_id == customer.pk


def test_quality_rules_decide_one_survey_per_customer_per_period(portal, customer, agent):
    first, second = _write(customer, "改收货地址"), _write(customer, "开发票")
    for conversation in (first, second):
        change_status(conversation, Status.RESOLVED, actor=agent)
    portal.post(reverse("portal:rate", args=[first.pk]))
    page = portal.get(reverse("portal:conversation", args=[second.pk])).content.decode()
    assert 'data-testid="portal-rate"' not in page, "surveyed recently: quality's rule, kept"
    portal.post(reverse("portal:rate", args=[second.pk]))
    assert Survey.objects.count() == 1


def test_another_customers_request_cannot_be_rated(portal, agent):
    other = _write(CustomerFactory(), "别人的请求")
    change_status(other, Status.RESOLVED, actor=agent)
    assert portal.post(reverse("portal:rate", args=[other.pk])).status_code == 404
    assert not Survey.objects.exists()
