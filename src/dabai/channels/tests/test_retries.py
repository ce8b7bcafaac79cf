"""A failing payload gets one retry chain with back-off, then a dead letter an admin can see and requeue."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dabai.accounts.models import AuditEntry
from dabai.channels import services
from dabai.channels.drain import reprocess_payload
from dabai.channels.models import InboundPayload, PayloadStatus
from dabai.channels.tasks import sweep_inbound
from dabai.conversations.models import Message
from dabai.core.tasking import RETRY_DELAYS_SECONDS
from dabai.testing import run_queued_tasks

SMS_URL = "/channels/sms/inbound/"
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS_SECONDS)


def sms_json(text: str, sms_id: str) -> bytes:
    return json.dumps({"from": "13900001111", "text": text, "id": sms_id}, ensure_ascii=False).encode()


@pytest.fixture
def broken_storage(monkeypatch):
    """Storing messages fails (a bug, a full disk) until ``state["broken"]`` is cleared."""
    state = {"broken": True}
    real = services.receive_messages

    def failing(items, **kwargs):
        if state["broken"]:
            raise RuntimeError("disk full")
        return real(items, **kwargs)

    monkeypatch.setattr(services, "receive_messages", failing)
    return state


def pending_retries() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="reprocess_payload", status="READY").count()


def sweep_later(minutes: int) -> None:
    """The sweep runs as if ``minutes`` had passed since the payload arrived (its grace is over)."""
    InboundPayload.objects.update(received_at=timezone.now() - timedelta(minutes=minutes))
    sweep_inbound.call()


def test_a_failing_payload_has_one_retry_chain_however_often_the_sweep_runs(
    post_signed, db, commit, broken_storage
):
    with commit():
        assert post_signed(SMS_URL, sms_json("一直失败", "gw-storm")).status_code == 202
    with commit():
        run_queued_tasks()
    payload = InboundPayload.objects.get()
    assert payload.status == PayloadStatus.FAILED and payload.attempts == 1
    assert payload.next_attempt_at is not None
    assert pending_retries() == 1

    for minutes in (3, 4, 5):
        with commit():
            sweep_later(minutes)
    assert pending_retries() == 1, "the sweep leaves a payload with a pending retry alone"


def test_after_the_last_attempt_a_payload_becomes_a_dead_letter_with_its_reason(
    post_signed, db, commit, broken_storage
):
    with commit():
        post_signed(SMS_URL, sms_json("一直失败", "gw-dead"))
    for _ in range(MAX_ATTEMPTS + 3):
        with commit():
            run_queued_tasks(include_future=True)
        with commit():
            sweep_later(60)
    payload = InboundPayload.objects.get()
    assert payload.status == PayloadStatus.DEAD
    assert payload.attempts == MAX_ATTEMPTS
    assert "disk full" in payload.error
    assert payload.next_attempt_at is None
    assert pending_retries() == 0


def test_a_retry_lost_with_its_worker_is_asked_for_once_by_the_sweep(post_signed, db, commit, broken_storage):
    with commit():
        post_signed(SMS_URL, sms_json("重试丢了", "gw-lost-retry"))
    with commit():
        run_queued_tasks()
    DBTaskResult.objects.filter(task_path__endswith="reprocess_payload").delete()  # the worker died
    InboundPayload.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    with commit():
        sweep_later(15)
        sweep_later(15)
    assert pending_retries() == 1

    broken_storage["broken"] = False
    with commit():
        run_queued_tasks(include_future=True)
    run_queued_tasks()
    assert InboundPayload.objects.get().status == PayloadStatus.PROCESSED
    assert Message.objects.filter(external_id="gw-lost-retry").exists()


def test_two_links_of_the_same_chain_process_a_payload_once(post_signed, db, commit, broken_storage):

    with commit():
        post_signed(SMS_URL, sms_json("重复的重试", "gw-twice"))
    with commit():
        run_queued_tasks()
    payload = InboundPayload.objects.get()
    reprocess_payload.enqueue(payload.pk, attempt=payload.attempts)  # a duplicate link
    with commit():
        run_queued_tasks(include_future=True)
    payload.refresh_from_db()
    assert payload.attempts == 2, "the second link found its attempt already made"
    assert pending_retries() == 1


def test_admins_see_dead_letters_by_state_and_requeue_them(
    post_signed, db, commit, broken_storage, client_for, admin_user
):
    with commit():
        post_signed(SMS_URL, sms_json("管理员重试", "gw-admin"))
    for _ in range(MAX_ATTEMPTS + 1):
        with commit():
            run_queued_tasks(include_future=True)
    payload = InboundPayload.objects.get()
    assert payload.status == PayloadStatus.DEAD

    admin = client_for(admin_user)
    listing = admin.get("/admin/customer_channels/inboundpayload/", {"status__exact": "dead"})
    assert listing.status_code == 200
    assert "disk full" in listing.content.decode()

    broken_storage["broken"] = False
    with commit():
        response = admin.post(
            "/admin/customer_channels/inboundpayload/",
            {"action": "retry_payloads", "_selected_action": [payload.pk]},
        )
    assert response.status_code == 302
    payload.refresh_from_db()
    assert payload.status == PayloadStatus.RECEIVED and payload.attempts == 0
    with commit():
        run_queued_tasks()
    payload.refresh_from_db()
    assert payload.status == PayloadStatus.PROCESSED
    assert Message.objects.filter(external_id="gw-admin").exists()

    assert AuditEntry.objects.filter(action="payload.retry", actor=admin_user).exists()
