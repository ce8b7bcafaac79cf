"""Signed events that survive receiver downtime: retried with back-off until delivered, once as far as the
receiver can tell (the same webhook-id), in order per conversation, never lost by a killed worker."""

import itertools
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from dabai.conversations.services import change_status, receive_message
from dabai.testing import CustomerFactory, UserFactory
from dabai.webhooks import services
from dabai.webhooks.models import Attempt, Delivery, DeliveryStatus, Event, EventType
from dabai.webhooks.sending import Outcome, post

pytestmark = pytest.mark.django_db


def _customer_writes(commit, text="你好，订单还没到", key="m1", customer=None):
    with commit():
        return receive_message(
            customer=customer or CustomerFactory(), channel="sms", body=text, external_id=key
        )


def test_events_are_signed_per_standard_webhooks_and_verify_with_the_library(
    receiver, endpoint, commit, deliver_all
):
    received = _customer_writes(commit)
    deliver_all()
    assert [c["json"]["type"] for c in receiver.calls] == ["conversation.created", "message.received"]
    for call in receiver.calls:
        verified = Webhook(endpoint.secret).verify(call["body"], call["headers"])
        assert verified["data"]["conversation_id"] == received.message.conversation_id
    assert receiver.calls[1]["json"]["data"]["message_id"] == received.message.pk
    assert [c["json"]["data"]["sequence"] for c in receiver.calls] == [1, 2]


def test_during_a_rotation_both_secrets_sign(receiver, endpoint, commit, deliver_all, admin_user):
    old = endpoint.secret
    services.rotate_secret(endpoint, actor=admin_user)
    _customer_writes(commit)
    deliver_all()
    call = receiver.calls[0]
    assert len(call["headers"]["Webhook-Signature"].split(" ")) == 2
    Webhook(old).verify(call["body"], call["headers"])
    Webhook(endpoint.secret).verify(call["body"], call["headers"])


def test_receiver_down_three_times_then_recovers_gets_the_event_once_with_the_same_id(
    receiver, admin_user, commit, deliver_all
):
    services.create_endpoint("BI", receiver.url, [EventType.MESSAGE_RECEIVED], actor=admin_user)
    receiver.fail_first = 3
    _customer_writes(commit)
    deliver_all()
    assert len(receiver.calls) == 4
    assert len(set(receiver.ids)) == 1  # every retry carries the same webhook-id: one event to the receiver
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 4
    log = list(Attempt.objects.filter(delivery=delivery).values_list("number", "status_code"))
    assert log == [(1, 503), (2, 503), (3, 503), (4, 200)]
    assert all(a.latency_ms >= 0 and a.response_snippet for a in Attempt.objects.all())


def test_one_conversations_events_arrive_in_order_even_when_the_first_is_retried(
    receiver, endpoint, commit, deliver_all, admin_user
):
    receiver.fail_first = 2
    received = _customer_writes(commit)
    conversation = received.message.conversation
    with commit():
        change_status(conversation, "pending", actor=admin_user)
        change_status(conversation, "resolved", actor=admin_user)
    deliver_all()
    delivered = [c["json"] for c in receiver.calls[2:]]
    sequences = [e["data"]["sequence"] for e in delivered]
    assert sequences == list(range(1, len(sequences) + 1))  # (resolving may send a survey: more events)
    assert [e["type"] for e in delivered][:4] == [
        "conversation.created",
        "message.received",
        "conversation.status_changed",
        "conversation.status_changed",
    ]
    # The failing first event held the others back: nothing but it was tried while it failed.
    assert [c["json"]["data"]["sequence"] for c in receiver.calls[:2]] == [1, 1]


def test_a_worker_killed_mid_delivery_does_not_lose_the_event(receiver, admin_user, commit, deliver_all):
    services.create_endpoint("BI", receiver.url, [EventType.MESSAGE_RECEIVED], actor=admin_user)
    with commit():
        receive_message(customer=CustomerFactory(), channel="sms", body="在吗", external_id="k")
    delivery = Delivery.objects.get()
    taken = services.claim(delivery.pk, 0)  # the worker took it, sent it, and died before recording anything
    post(taken.url, taken.body, taken.headers, allow_private=True)
    assert services.overdue() == []  # its lease still runs
    # Time passes: the lease runs out (the delivery's clock moves back instead of the world's forward).
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - services.LEASE * 3, leased_until=timezone.now() - services.LEASE
    )
    assert services.overdue() == [(delivery.pk, 1)]
    with commit():
        assert services.requeue_overdue() == 1
    deliver_all()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(receiver.calls) == 2 and len(set(receiver.ids)) == 1


def test_a_429_waits_at_least_as_long_as_retry_after(receiver, endpoint, commit):
    _customer_writes(commit)
    delivery = Delivery.objects.order_by("pk").first()
    taken = services.claim(delivery.pk, 0)
    before = timezone.now()
    assert services.settle(taken, Outcome(429, 12, "slow down", retry_after=3600)) == "retrying"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at >= before + timedelta(seconds=3600)
    assert delivery.status == DeliveryStatus.PENDING and delivery.leased_until is None


def test_the_schedule_backs_off_with_jitter_over_about_three_days():
    total = sum(services.RETRY_DELAYS)
    assert 2.5 * 86400 <= total <= 3.5 * 86400
    delays = [services.retry_delay(n) for n in range(1, services.MAX_ATTEMPTS)]
    assert all(a <= b * 1.5 for a, b in itertools.pairwise(delays))
    assert len({round(services.retry_delay(3), 3) for _ in range(20)}) > 1


def test_410_gone_disables_the_endpoint_and_tells_the_admins(receiver, endpoint, commit, deliver_all):
    UserFactory(username="boss", role="admin", email="boss@dabai.example")
    receiver.fail_first, receiver.failure = 100, (410, {})
    _customer_writes(commit)
    deliver_all()
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "410" in endpoint.disabled_reason
    assert len(receiver.calls) == 1  # the second event was never sent, and is kept as failed
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    assert [m.to for m in mail.outbox] == [["boss@dabai.example"]]


def test_sustained_failure_gives_up_and_disables(receiver, admin_user, commit, deliver_all):
    endpoint = services.create_endpoint("BI", receiver.url, [EventType.MESSAGE_RECEIVED], actor=admin_user)
    receiver.fail_first = 1000
    _customer_writes(commit)
    deliver_all(rounds=100)
    assert len(receiver.calls) == services.MAX_ATTEMPTS
    endpoint.refresh_from_db()
    assert not endpoint.is_active and Delivery.objects.get().status == DeliveryStatus.FAILED


def test_failed_deliveries_can_be_replayed_once_the_endpoint_is_back(
    receiver, endpoint, commit, deliver_all, admin_user
):
    receiver.fail_first, receiver.failure = 1, (410, {})
    _customer_writes(commit)
    deliver_all()
    first_id = receiver.ids[0]
    services.enable_endpoint(endpoint, actor=admin_user)
    with commit():
        assert services.replay_failed(endpoint, actor=admin_user) == 2
    deliver_all()
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert receiver.ids[1] == first_id  # the replay is the same event


def test_nothing_is_stored_or_sent_when_the_change_rolls_back(receiver, endpoint, commit):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        receive_message(customer=CustomerFactory(), channel="sms", body="x", external_id="r")
        raise RuntimeError("the change fails")
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_without_subscribers_no_event_is_stored(commit):
    _customer_writes(commit)
    assert not Event.objects.exists()
