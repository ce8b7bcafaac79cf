"""What every inbound path promises: raw first, nothing lost when processing fails, one customer each."""

import json
import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dabai.channels import services
from dabai.channels.drain import accept_payload, drain_batch
from dabai.channels.models import DrainRequest, InboundPayload, PayloadStatus, PeriodicRun
from dabai.channels.tasks import sweep_inbound
from dabai.conversations.models import Insight, Message
from dabai.core.tasks import start_heartbeat
from dabai.customers.models import Customer
from dabai.testing import MessageFactory, run_queued_tasks

from .conftest import drain

SMS_URL = "/channels/sms/inbound/"


def sms_json(text: str, sms_id: str, sender: str = "13900001111") -> bytes:
    return json.dumps({"from": sender, "text": text, "id": sms_id}, ensure_ascii=False).encode()


def test_database_hiccup_while_processing_keeps_the_raw_payload_and_retries_it(
    post_signed, db, monkeypatch, commit
):
    real = services.receive_messages
    failures = {"left": 2}

    def flaky(items, **kwargs):
        if any(item.body == "我的话费被多扣了" for item in items) and failures["left"]:
            failures["left"] -= 1
            raise OperationalError("database is locked")
        return real(items, **kwargs)

    monkeypatch.setattr(services, "receive_messages", flaky)
    with commit():
        assert post_signed(SMS_URL, sms_json("我的话费被多扣了", "gw-9")).status_code == 202
        assert post_signed(SMS_URL, sms_json("下一条不受影响", "gw-10")).status_code == 202
    with commit():
        run_queued_tasks()
    payload = InboundPayload.objects.get(status=PayloadStatus.FAILED)
    assert "database is locked" in payload.error
    assert json.loads(bytes(payload.raw))["text"] == "我的话费被多扣了"
    assert list(Message.objects.values_list("external_id", flat=True)) == ["gw-10"], "the next one went on"

    with commit():
        run_queued_tasks(include_future=True)
    run_queued_tasks()
    payload.refresh_from_db()
    assert payload.status == PayloadStatus.PROCESSED and payload.attempts == 2
    assert set(Message.objects.values_list("external_id", flat=True)) == {"gw-9", "gw-10"}
    assert Insight.objects.count() == 2


def test_a_burst_of_webhooks_is_drained_by_one_task_and_read_in_one_pass(post_signed, db, commit):
    with commit():
        for i in range(25):
            post_signed(SMS_URL, sms_json(f"第{i}条：宽带断了", f"burst-{i}", sender=f"1390000{i:04d}"))
    assert DBTaskResult.objects.filter(task_path__endswith="drain_inbound").count() == 1
    assert run_queued_tasks() == 1
    assert Message.objects.filter(external_id__startswith="burst-").count() == 25
    assert Insight.objects.count() == 25
    assert not InboundPayload.objects.exclude(status=PayloadStatus.PROCESSED).exists()


def test_new_arrivals_put_the_drain_ahead_of_queued_background_work(post_signed, db, commit, monkeypatch):
    """The bot's answers and other jobs queued before must not keep a new message from being stored and read;
    a drain that used up its time slice queues its next turn behind them, so they still get through."""
    from django_tasks.base import DEFAULT_TASK_PRIORITY, TASK_MAX_PRIORITY

    from dabai.channels import drain as drain_module

    with commit():
        sweep_inbound.enqueue()  # any job already waiting
        post_signed(SMS_URL, sms_json("宽带断了", "first-1", sender="13900000001"))
        post_signed(SMS_URL, sms_json("还是断的", "first-2", sender="13900000002"))
    queued = DBTaskResult.objects.filter(task_path__endswith="drain_inbound").get()
    assert queued.priority == TASK_MAX_PRIORITY
    assert DBTaskResult.objects.ready().first() == queued, "the drain runs next"

    DBTaskResult.objects.all().delete()
    monkeypatch.setattr(drain_module, "DRAIN_BATCH", 1)
    monkeypatch.setattr(drain_module, "DRAIN_SLICE_SECONDS", -1)
    with commit():
        assert drain() == 1
    follow_up = DBTaskResult.objects.filter(task_path__endswith="drain_inbound").get()
    assert follow_up.priority == DEFAULT_TASK_PRIORITY
    with commit():
        assert drain() == 1
    assert set(Message.objects.values_list("external_id", flat=True)) == {"first-1", "first-2"}


def test_a_drain_lost_with_its_worker_is_asked_for_again_by_the_sweep(post_signed, db, commit, settings):

    settings.DABAI_SWEEP_GRACE_SECONDS = 60
    with commit():
        post_signed(SMS_URL, sms_json("没人处理的短信", "gw-lost"))
    DBTaskResult.objects.all().delete()  # the worker died with the queued drain
    long_ago = timezone.now() - timedelta(minutes=5)
    InboundPayload.objects.update(received_at=long_ago)
    DrainRequest.objects.update(queued_at=long_ago)
    with commit():
        sweep_inbound.call()
    run_queued_tasks()
    assert Message.objects.filter(external_id="gw-lost").exists()


def test_the_same_mobile_number_is_one_customer_on_sms_and_the_hotline(post_signed, db, commit):
    with commit():
        post_signed(SMS_URL, sms_json("宽带坏了", "gw-1", sender="+8613800138000"))
    run_queued_tasks()
    call = {
        "call_id": "CC-1",
        "caller": "138 0013 8000",
        "transcript": [{"speaker": "customer", "text": "喂"}],
    }
    post_signed("/channels/phone/inbound/", json.dumps(call).encode())
    drain()

    assert Customer.objects.count() == 1
    assert sorted(Customer.objects.get().identities.values_list("channel", flat=True)) == ["phone", "sms"]


def test_sweep_reads_messages_whose_analysis_was_lost_with_a_killed_worker(db, settings):

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

    start_heartbeat()
    run_queued_tasks()
    start_heartbeat()
    run_queued_tasks()

    assert PeriodicRun.objects.filter(name="sweep_inbound").count() == 1
    pending = DBTaskResult.objects.filter(task_path__endswith="sweep_inbound", status="READY")
    assert pending.count() == 1, "one chain, re-enqueued with run_after"


def test_a_payload_that_breaks_in_a_drained_batch_is_rejected_and_the_rest_stored(db):

    accept_payload("sms", "webhook", sms_json("第一条", "gw-a"))
    accept_payload("sms", "webhook", b'{"from": "13900001111"}')  # got past the door some other way
    accept_payload("sms", "webhook", sms_json("第三条", "gw-c"))
    assert drain_batch(10) == 3
    assert list(InboundPayload.objects.order_by("pk").values_list("status", flat=True)) == [
        PayloadStatus.PROCESSED,
        PayloadStatus.REJECTED,
        PayloadStatus.PROCESSED,
    ]
    assert set(Message.objects.values_list("external_id", flat=True)) == {"gw-a", "gw-c"}
    assert Insight.objects.count() == 2


@pytest.mark.django_db
def test_the_workers_drain_lane_reads_arrivals_without_a_queued_task(post_signed, monkeypatch):
    """A backlog in the task queue (here: a queue nobody runs) does not keep a new SMS from being stored and
    read: the worker's drain loop takes it from the stored payloads by itself."""
    import threading
    from types import SimpleNamespace

    from dabai.channels import drain
    from dabai.channels.drain import drain_forever

    class UntilRead(threading.Event):
        """The loop's stop signal: set once the message is read (or after 30 s, which fails the test)."""

        deadline = time.monotonic() + 30

        def is_set(self) -> bool:
            read = Insight.objects.filter(message__external_id="lane-1").exists()
            return read or time.monotonic() > self.deadline

    assert post_signed(SMS_URL, sms_json("宽带又断了", "lane-1")).status_code == 202
    # The loop runs here as `dabai drain` runs it, in this thread and in the test's transaction; its
    # connection housekeeping (closing and reopening between batches, for a process that lives for days)
    # would end that transaction. (As a transactional test it left SQLite's test database so that the next
    # transactional tests could not set up.)
    monkeypatch.setattr(drain, "close_old_connections", lambda: None)
    monkeypatch.setattr(drain, "connection", SimpleNamespace(close=lambda: None))
    drain_forever(UntilRead())
    assert Insight.objects.filter(message__external_id="lane-1").exists(), "the drain loop did not read it"
    assert InboundPayload.objects.get().status == PayloadStatus.PROCESSED
    assert Message.objects.filter(external_id="lane-1").count() == 1
