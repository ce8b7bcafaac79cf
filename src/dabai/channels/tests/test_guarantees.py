"""What every inbound path promises: raw first, nothing lost when processing fails, one customer each."""

import json

from django.db import OperationalError

from dabai.channels import sms
from dabai.channels.models import InboundPayload, PayloadStatus
from dabai.conversations.models import Insight, Message
from dabai.customers.models import Customer
from dabai.testing import run_queued_tasks

SMS_URL = "/channels/sms/inbound/"


def sms_json(text: str, sms_id: str, sender: str = "13900001111") -> bytes:
    return json.dumps({"from": sender, "text": text, "id": sms_id}, ensure_ascii=False).encode()


def test_database_hiccup_while_processing_keeps_the_raw_payload_and_retries_it(
    post_signed, db, monkeypatch, commit
):
    real = sms.receive_message
    failures = {"left": 2}

    def flaky(**kwargs):
        if kwargs["body"] == "我的话费被多扣了" and failures["left"]:
            failures["left"] -= 1
            raise OperationalError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr(sms, "receive_message", flaky)
    response = post_signed(SMS_URL, sms_json("我的话费被多扣了", "gw-9"))
    assert response.status_code == 202
    payload = InboundPayload.objects.get()
    assert payload.status == PayloadStatus.FAILED and "database is locked" in payload.error
    assert json.loads(bytes(payload.raw))["text"] == "我的话费被多扣了"

    with commit():
        assert post_signed(SMS_URL, sms_json("下一条不受影响", "gw-10")).status_code == 200

    with commit():
        run_queued_tasks(include_future=True)
        run_queued_tasks(include_future=True)
    run_queued_tasks()
    payload.refresh_from_db()
    assert payload.status == PayloadStatus.PROCESSED and payload.attempts == 3
    assert set(Message.objects.values_list("external_id", flat=True)) == {"gw-9", "gw-10"}
    assert Insight.objects.count() == 2


def test_the_same_mobile_number_is_one_customer_on_sms_and_the_hotline(post_signed, db):
    post_signed(SMS_URL, sms_json("宽带坏了", "gw-1", sender="+8613800138000"))
    call = {
        "call_id": "CC-1",
        "caller": "138 0013 8000",
        "transcript": [{"speaker": "customer", "text": "喂"}],
    }
    post_signed("/channels/phone/inbound/", json.dumps(call).encode())

    assert Customer.objects.count() == 1
    assert sorted(Customer.objects.get().identities.values_list("channel", flat=True)) == ["phone", "sms"]


def test_sweep_reads_messages_whose_analysis_was_lost_with_a_killed_worker(db, settings):
    from datetime import timedelta

    from django.utils import timezone

    from dabai.channels.tasks import sweep_inbound
    from dabai.testing import MessageFactory

    settings.DABAI_SWEEP_GRACE_SECONDS = 60
    lost = MessageFactory(body="快递丢了，谁来负责？")
    queued = MessageFactory(body="还在队列里")
    analysed = MessageFactory(body="已经分析过")
    Insight.objects.create(message=analysed, sentiment="neutral", urgency="normal", model_version="t")
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    Message.objects.filter(pk=lost.pk).update(created_at=five_minutes_ago - timedelta(minutes=2))
    Message.objects.filter(pk=analysed.pk).update(created_at=five_minutes_ago)
    Message.objects.filter(pk=queued.pk).update(created_at=five_minutes_ago + timedelta(seconds=30))
    fresh = MessageFactory(body="刚刚发来的")

    sweep_inbound.enqueue()
    run_queued_tasks()
    assert Insight.objects.filter(message=lost).exists(), "skipped by the worker: analysed again"
    assert not Insight.objects.filter(message=queued).exists(), "behind the frontier: still in the queue"
    assert not Insight.objects.filter(message=fresh).exists()


def test_sweep_reads_the_last_messages_before_a_lull_once_the_worker_is_quiet(db, settings):
    from datetime import timedelta

    from django.utils import timezone

    from dabai.channels.tasks import sweep_inbound
    from dabai.testing import MessageFactory

    settings.DABAI_SWEEP_GRACE_SECONDS = 60
    analysed = MessageFactory(body="倒数第二条，已分析")
    lost = MessageFactory(body="最后一条，分析时进程被杀")
    insight = Insight.objects.create(
        message=analysed, sentiment="neutral", urgency="normal", model_version="t"
    )
    five_minutes_ago = timezone.now() - timedelta(minutes=5)
    Message.objects.filter(pk__in=[analysed.pk, lost.pk]).update(created_at=five_minutes_ago)
    Insight.objects.filter(pk=insight.pk).update(created_at=five_minutes_ago)

    sweep_inbound.enqueue()
    run_queued_tasks()
    assert Insight.objects.filter(message=lost).exists(), "nothing arrived after it, yet it is read again"


def test_worker_heartbeat_starts_the_sweep_chain_once(db):
    from django_tasks_db.models import DBTaskResult

    from dabai.channels.models import PeriodicRun
    from dabai.core.tasks import start_heartbeat

    start_heartbeat()
    run_queued_tasks()
    start_heartbeat()
    run_queued_tasks()

    assert PeriodicRun.objects.filter(name="sweep_inbound").count() == 1
    pending = DBTaskResult.objects.filter(task_path__endswith="sweep_inbound", status="READY")
    assert pending.count() == 1, "one chain, re-enqueued with run_after"
