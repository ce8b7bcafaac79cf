"""Customers sign in with a one-time code and see only their own conversations."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dabai.accounts.models import Role
from dabai.conversations.models import Conversation, Direction
from dabai.core.choices import Channel
from dabai.portal.models import SignInCode
from dabai.portal.services import portal_user_for
from dabai.testing import (
    ChannelIdentityFactory,
    ConversationFactory,
    CustomerFactory,
    MessageFactory,
    run_queued_tasks,
)


@pytest.fixture
def alice(db):
    customer = CustomerFactory(display_name="王芳")
    ChannelIdentityFactory(customer=customer, channel=Channel.EMAIL, external_id="wangfang@example.cn")
    ChannelIdentityFactory(customer=customer, channel=Channel.PHONE, external_id="13912345678")
    return customer


@pytest.fixture
def bob(db):
    customer = CustomerFactory(display_name="李强")
    ChannelIdentityFactory(customer=customer, channel=Channel.EMAIL, external_id="liqiang@example.cn")
    return customer


def signed_in(customer) -> Client:
    client = Client()
    client.force_login(portal_user_for(customer))
    return client


def sign_in_by_email(client: Client, address: str, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:sign_in"), {"address": address})
    run_queued_tasks()  # the code is sent by a task
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    response = client.post(reverse("portal:verify"), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_customer_signs_in_with_a_code_sent_to_their_email(client, alice, django_capture_on_commit_callbacks):
    ConversationFactory(customer=alice, subject="发票开错了")
    sign_in_by_email(client, "WangFang@example.cn", django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == ["wangfang@example.cn"]
    assert "发票开错了" in client.get(reverse("portal:home")).content.decode()


def test_sign_in_by_phone_number_with_country_code(client, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:sign_in"), {"address": "+86 139 1234 5678"})
    run_queued_tasks()
    assert SignInCode.objects.get().customer == alice


def test_unknown_address_looks_the_same_and_sends_nothing(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:sign_in"), {"address": "nobody@example.cn"})
    run_queued_tasks()
    assert response.status_code == 302
    assert mail.outbox == []
    assert not SignInCode.objects.exists()


def test_wrong_code_fails_and_five_tries_lock_the_code(client, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:sign_in"), {"address": "wangfang@example.cn"})
    run_queued_tasks()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = client.post(reverse("portal:verify"), {"code": wrong})
        assert response.status_code == 200
    response = client.post(reverse("portal:verify"), {"code": code})
    assert response.status_code == 200  # locked: even the right code no longer works
    assert "_auth_user_id" not in client.session


def test_expired_code_does_not_sign_in(client, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:sign_in"), {"address": "wangfang@example.cn"})
    run_queued_tasks()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    SignInCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.post(reverse("portal:verify"), {"code": code})
    assert "_auth_user_id" not in client.session


def test_customer_sees_own_conversations_across_channels_and_never_anothers(alice, bob):
    ConversationFactory(customer=alice, channel=Channel.CHAT, subject="聊天咨询")
    mine_email = ConversationFactory(customer=alice, channel=Channel.EMAIL, subject="邮件投诉")
    theirs = ConversationFactory(customer=bob, subject="李强的退款")
    client = signed_in(alice)
    html = client.get(reverse("portal:home")).content.decode()
    assert "聊天咨询" in html and "邮件投诉" in html
    assert "李强的退款" not in html
    assert client.get(reverse("portal:conversation", args=[mine_email.pk])).status_code == 200
    assert client.get(reverse("portal:conversation", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("portal:reply", args=[theirs.pk]), {"body": "偷看"}).status_code == 404
    assert not theirs.messages.filter(body="偷看").exists()


def test_internal_notes_never_reach_the_customer(alice):
    conversation = ConversationFactory(customer=alice)
    MessageFactory(conversation=conversation, direction=Direction.NOTE, body="内部：客户情绪激动")
    MessageFactory(conversation=conversation, direction=Direction.OUTBOUND, body="您好，已为您处理")
    html = signed_in(alice).get(reverse("portal:conversation", args=[conversation.pk])).content.decode()
    assert "已为您处理" in html
    assert "客户情绪激动" not in html


def test_staff_and_strangers_get_no_customer_data(client, alice, agent, client_for):
    conversation = ConversationFactory(customer=alice, subject="私密问题")
    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:sign_in")
    assert client.get(reverse("portal:conversation", args=[conversation.pk])).status_code == 302
    staff = client_for(agent)
    assert staff.get(reverse("portal:conversation", args=[conversation.pk])).status_code == 302


def test_customer_replies_and_opens_a_new_request(alice):
    existing = ConversationFactory(customer=alice, channel=Channel.CHAT)
    client = signed_in(alice)
    client.post(reverse("portal:reply", args=[existing.pk]), {"body": "补充一下订单号"})
    assert existing.messages.filter(direction=Direction.INBOUND, body="补充一下订单号").exists()
    response = client.post(reverse("portal:new"), {"subject": "想开发票", "body": "上个月的订单需要发票"})
    new = Conversation.objects.exclude(pk=existing.pk).get(customer=alice)
    assert response["Location"] == reverse("portal:conversation", args=[new.pk])
    assert new.subject == "想开发票"
    assert new.messages.get().body == "上个月的订单需要发票"


def test_portal_account_is_a_customer_without_a_password(alice):
    user = portal_user_for(alice)
    assert user.role == Role.CUSTOMER
    assert not user.has_usable_password()
    assert portal_user_for(alice) == user
