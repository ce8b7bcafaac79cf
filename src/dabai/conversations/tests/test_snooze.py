"""Snooze: a conversation leaves the open views until its time or the customer's next message, audited."""

import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from dabai.accounts.models import AuditEntry
from dabai.conversations import services
from dabai.conversations.live import conversation_group
from dabai.conversations.models import Conversation, SnoozeSweep, Status
from dabai.conversations.tasks import start_snooze_sweep
from dabai.core.choices import Channel
from dabai.testing import CustomerFactory, run_queued_tasks

# Routing keeps the SLA clocks; conversations never import it (the arrows point one way), so its model is
# looked up by name: these tests check what routing does when it hears a snooze, a status change or a merge.
SlaClock = apps.get_model("routing", "SlaClock")


@pytest.fixture
def conversation(db, django_capture_on_commit_callbacks):
    customer = CustomerFactory(display_name="杜女士")
    with django_capture_on_commit_callbacks(execute=True):
        received = services.receive_message(
            channel=Channel.WECHAT, customer=customer, body="宽带又断了", external_id="w-1"
        )
    DBTaskResult.objects.all().delete()  # the filter's reading is not what these tests are about
    return Conversation.objects.get(pk=received.message.conversation_id)


def audits(conversation: Conversation, action: str) -> list[dict]:
    return list(
        AuditEntry.objects.filter(action=action, object_id=str(conversation.pk))
        .order_by("id")
        .values_list("detail", flat=True)
    )


def wake_tasks() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path__endswith="wake_snoozed", status=TaskResultStatus.READY)
    )


def test_snoozing_hides_until_a_time_schedules_the_wake_and_is_audited(
    conversation, agent, django_capture_on_commit_callbacks
):
    until = timezone.now() + timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        services.snooze(conversation, until=until, actor=agent)
    conversation.refresh_from_db()
    assert conversation.snoozed_until == until and conversation.is_snoozed
    assert conversation.status == Status.OPEN, "a snooze never changes the status"
    assert list(Conversation.objects.awake()) == [], "it leaves the open views"
    assert list(Conversation.objects.snoozed()) == [conversation]
    [task] = wake_tasks()
    assert task.run_after == until
    [entry] = audits(conversation, "conversation.snoozed")
    assert entry["until"] == until.isoformat()
    assert AuditEntry.objects.get(action="conversation.snoozed").actor == agent


def test_the_conversation_wakes_by_itself_when_its_time_comes(
    conversation, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.snooze(conversation, until=timezone.now() + timedelta(milliseconds=300), actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()  # too early: nothing happens
    conversation.refresh_from_db()
    assert conversation.is_snoozed
    time.sleep(0.35)
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    conversation.refresh_from_db()
    assert not conversation.is_snoozed
    assert audits(conversation, "conversation.unsnoozed")[-1]["reason"] == "time"


def test_snoozing_again_moves_the_time_and_the_earlier_task_does_nothing(
    conversation, agent, django_capture_on_commit_callbacks
):
    soon = timezone.now() + timedelta(milliseconds=200)
    later = timezone.now() + timedelta(hours=5)
    with django_capture_on_commit_callbacks(execute=True):
        services.snooze(conversation, until=soon, actor=agent)
        services.snooze(Conversation.objects.get(pk=conversation.pk), until=later, actor=agent)
    time.sleep(0.25)
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    conversation.refresh_from_db()
    assert conversation.snoozed_until == later
    assert audits(conversation, "conversation.unsnoozed") == []


def test_the_customer_writing_wakes_it_at_once(conversation, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.snooze(conversation, until=timezone.now() + timedelta(days=1), actor=agent)
        received = services.receive_message(
            channel=Channel.WECHAT, customer=conversation.customer, body="还是没网", external_id="w-2"
        )
    assert received.message.conversation_id == conversation.pk, "the message joins the snoozed conversation"
    conversation.refresh_from_db()
    assert not conversation.is_snoozed
    [entry] = audits(conversation, "conversation.unsnoozed")
    assert entry["reason"] == "customer"
    assert list(Conversation.objects.awake()) == [conversation], "back in the open views"


def test_the_minute_sweep_wakes_what_a_stopped_worker_missed(
    conversation, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.snooze(conversation, until=timezone.now() + timedelta(milliseconds=200), actor=agent)
    DBTaskResult.objects.all().delete()  # the worker was down and its queue was lost
    time.sleep(0.25)
    with django_capture_on_commit_callbacks(execute=True):
        start_snooze_sweep()
        run_queued_tasks()
    conversation.refresh_from_db()
    assert not conversation.is_snoozed
    assert audits(conversation, "conversation.unsnoozed")[-1]["reason"] == "time"
    assert DBTaskResult.objects.filter(
        task_path__endswith="snooze_sweep", status=TaskResultStatus.READY
    ).exists(), "the sweep schedules its next run"


def test_sla_clocks_keep_running_while_snoozed_and_pause_only_when_pending(
    conversation, agent, django_capture_on_commit_callbacks
):
    assert SlaClock.objects.filter(conversation=conversation, state="running").exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.snooze(conversation, until=timezone.now() + timedelta(hours=2), actor=agent)
    assert not SlaClock.objects.filter(conversation=conversation, state="paused").exists(), (
        "the customer's wait continues while an agent snoozes"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(conversation, Status.PENDING, actor=agent)
    conversation.refresh_from_db()
    assert conversation.is_snoozed, "waiting on the customer and snoozed together"
    assert SlaClock.objects.filter(conversation=conversation, state="paused").exists()


def test_finished_or_past_snoozes_are_refused_and_resolving_ends_a_snooze(conversation, agent):
    with pytest.raises(services.CannotSnooze, match="future"):
        services.snooze(conversation, until=timezone.now() - timedelta(minutes=1), actor=agent)
    services.snooze(conversation, until=timezone.now() + timedelta(hours=1), actor=agent)
    services.change_status(conversation, Status.RESOLVED, actor=agent)
    conversation.refresh_from_db()
    assert not conversation.is_snoozed
    with pytest.raises(services.CannotSnooze, match="open or pending"):
        services.snooze(conversation, until=timezone.now() + timedelta(hours=1), actor=agent)


def test_an_agent_wakes_it_by_hand_and_waking_an_awake_one_changes_nothing(conversation, agent):
    services.snooze(conversation, until=timezone.now() + timedelta(hours=1), actor=agent)
    assert services.unsnooze(conversation, actor=agent, reason="agent") is True
    assert services.unsnooze(conversation, actor=agent, reason="agent") is False
    assert [e["reason"] for e in audits(conversation, "conversation.unsnoozed")] == ["agent"]


def test_open_desk_pages_hear_about_the_snooze_after_commit(
    conversation, agent, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(conversation_group(conversation.pk), channel)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.snooze(conversation, until=timezone.now() + timedelta(hours=1), actor=agent)
    for callback in callbacks:
        callback()
    event = async_to_sync(layer.receive)(channel)
    assert event["kind"] == "conversation.snoozed"
    assert event["conversation_id"] == conversation.pk


def test_a_starting_worker_starts_the_snooze_sweep(db, monkeypatch):
    monkeypatch.setattr("dabai.core.management.commands.worker.call_command", lambda *args, **kwargs: None)
    call_command("worker")
    assert SnoozeSweep.objects.exists()
    queued = set(DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True))
    assert "dabai.conversations.tasks.snooze_sweep" in queued
