"""Taking in a customer's message: stored once, in the right conversation, then read by the filter."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from dabai.conversations import services
from dabai.conversations.models import Conversation, Insight, Message, Priority, Status
from dabai.core.choices import Channel
from dabai.customers.services import resolve_customer
from dabai.testing import CustomerFactory, run_queued_tasks


@pytest.fixture
def customer(db):
    return CustomerFactory(display_name="王阿姨")


def receive(customer, body="宽带断网三天了还没人来修", external_id="m-1", channel=Channel.WECHAT, **kw):
    return services.receive_message(
        channel=channel, customer=customer, body=body, external_id=external_id, **kw
    )


def test_same_message_delivered_twice_is_stored_once(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = receive(customer)
        second = receive(customer)
    assert first.created and not second.created
    assert first.message.pk == second.message.pk
    assert Message.objects.count() == 1
    assert Conversation.objects.get().message_count == 1


def test_same_external_id_on_another_channel_is_a_different_message(customer):
    receive(customer, channel=Channel.WECHAT)
    receive(customer, channel=Channel.SMS)
    assert Message.objects.count() == 2


def test_follow_up_joins_the_open_conversation_on_that_channel(customer):
    first = receive(customer, external_id="a")
    second = receive(customer, body="还有，师傅什么时候上门？", external_id="b")
    assert first.message.conversation_id == second.message.conversation_id
    assert Conversation.objects.get().message_count == 2


def test_message_after_resolution_opens_a_new_conversation(customer):
    first = receive(customer, external_id="a")
    services.change_status(first.message.conversation, Status.RESOLVED, actor=None)
    second = receive(customer, body="又断网了", external_id="b")
    assert second.message.conversation_id != first.message.conversation_id


def test_customer_reply_while_pending_reopens_the_conversation(customer):
    first = receive(customer, external_id="a")
    services.change_status(first.message.conversation, Status.PENDING, actor=None)
    receive(customer, body="我已经重启路由器了，还是不行", external_id="b")
    assert Conversation.objects.get().status == Status.OPEN


def test_inbox_preview_masks_personal_data(customer):
    received = receive(customer, body="我的手机号13812345678，帮我查一下话费")
    assert "13812345678" not in received.message.conversation.preview
    assert "138****5678" in received.message.conversation.preview


def test_every_inbound_message_is_analysed_by_the_worker(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        received = receive(customer, body="再不给我退款我就打12315投诉你们！订单号DD202611250001")
    assert run_queued_tasks() >= 1
    insight = Insight.objects.get(message=received.message)
    assert insight.escalation_risk is True
    assert insight.analysis["escalation"]["cues"]
    assert insight.model_version


def test_urgent_message_raises_conversation_priority(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        received = receive(customer, body="有人冒充你们客服骗走了我5000块钱，账户还在被扣款，快帮我冻结！")
    run_queued_tasks()
    conversation = Conversation.objects.get(pk=received.message.conversation_id)
    assert conversation.priority >= Priority.HIGH


def test_failed_analysis_is_retried_later_and_not_lost(
    customer, django_capture_on_commit_callbacks, monkeypatch
):
    from dabai.conversations import services

    calls = {"n": 0}
    real = services.analyse_many

    def flaky(items, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("model file briefly unavailable")
        return real(items, **kwargs)

    monkeypatch.setattr(services, "analyse_many", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        received = receive(customer)
    run_queued_tasks()
    assert not Insight.objects.filter(message=received.message).exists()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 1
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.run_after > timezone.now() + timedelta(seconds=1), "the retry waits (back-off)"
    run_queued_tasks(include_future=True)
    assert Insight.objects.filter(message=received.message).exists()


def test_identity_resolution_maps_one_handle_to_one_customer(db):
    first = resolve_customer(Channel.PHONE, "13900001111", display_name="赵先生")
    second = resolve_customer(Channel.PHONE, " 13900001111 ")
    assert first.pk == second.pk
