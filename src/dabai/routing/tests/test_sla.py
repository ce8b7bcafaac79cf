"""SLA clocks: the right target per channel, pauses while waiting on the customer, warnings and breaches."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dabai.conversations.models import Priority, Status
from dabai.conversations.services import change_status, post_reply, receive_message
from dabai.core.choices import Channel
from dabai.routing import services
from dabai.routing.models import (
    ClockKind,
    ClockState,
    ConversationSla,
    SlaBreach,
    SlaClock,
    SweepChain,
)
from dabai.routing.tasks import start_sla_sweep
from dabai.testing import ConversationFactory, CustomerFactory, run_queued_tasks

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def write(channel: str, *, at: datetime | None = None, public: bool = False, body: str = "请问怎么开发票？"):
    received = receive_message(
        channel=channel, customer=CustomerFactory(), body=body, sent_at=at or timezone.now(), is_public=public
    )
    return received.message.conversation


def first_response(conversation) -> SlaClock:
    return conversation.sla_clocks.get(kind=ClockKind.FIRST_RESPONSE)


def minutes(clock: SlaClock) -> float:
    return (clock.due_at - clock.started_at).total_seconds() / 60


def test_weibo_complaint_gets_20_minute_sla():
    clock = first_response(write(Channel.WEIBO, public=True, body="@大白客服 宽带断了三天没人管"))
    assert minutes(clock) == 20


def test_weibo_direct_message_gets_the_ordinary_weibo_target():
    assert minutes(first_response(write(Channel.WEIBO))) == 60


@pytest.mark.parametrize(("channel", "target"), [(Channel.CHAT, 1), (Channel.WECHAT, 5)])
def test_live_channels_count_every_minute(channel, target):
    sunday_night = datetime(2026, 10, 4, 23, 0, tzinfo=SHANGHAI)  # National Day holiday, late evening
    assert minutes(first_response(write(channel, at=sunday_night))) == target


def test_email_gets_4_business_hours():
    monday_morning = datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI)
    clock = first_response(write(Channel.EMAIL, at=monday_morning))
    assert clock.due_at == datetime(2026, 11, 16, 14, 0, tzinfo=SHANGHAI)


def test_sms_on_the_eve_of_national_day_waits_for_the_next_workday():
    evening = datetime(2026, 9, 30, 20, 0, tzinfo=SHANGHAI)
    clock = first_response(write(Channel.SMS, at=evening))
    assert clock.due_at == datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)


def test_reply_in_time_meets_the_first_response_target(agent, django_capture_on_commit_callbacks):
    conversation = write(Channel.WECHAT)
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(conversation, agent, "您好，马上为您查询。")
    assert first_response(conversation).state == ClockState.MET
    assert conversation.sla_clocks.get(kind=ClockKind.RESOLUTION).state == ClockState.RUNNING


def test_a_bots_answer_leaves_the_first_response_clock_running(django_capture_on_commit_callbacks):
    from dabai.testing import UserFactory

    conversation = write(Channel.CHAT)
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(conversation, UserFactory(username="helpbot", is_automated=True), "这篇文章也许能帮到您")
    assert first_response(conversation).state == ClockState.RUNNING


def test_late_reply_counts_as_breached(agent, django_capture_on_commit_callbacks):
    conversation = write(Channel.CHAT, at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(conversation, agent, "抱歉久等了")
    assert first_response(conversation).state == ClockState.BREACHED


def test_waiting_on_the_customer_pauses_the_clock_and_their_answer_resumes_it(agent):
    conversation = write(Channel.WECHAT, at=timezone.now() - timedelta(minutes=2))
    change_status(conversation, Status.PENDING, actor=agent)
    clock = first_response(conversation)
    assert clock.state == ClockState.PAUSED
    assert 170 < clock.remaining_seconds <= 180
    assert ConversationSla.objects.get(conversation=conversation).is_paused
    # An hour later the customer writes back: the 3 minutes left start counting again, not the hour.
    SlaClock.objects.filter(pk=clock.pk).update(paused_at=timezone.now() - timedelta(hours=1))
    receive_message(channel=Channel.WECHAT, customer=conversation.customer, body="我补充一下订单号")
    clock.refresh_from_db()
    assert clock.state == ClockState.RUNNING
    left = (clock.due_at - timezone.now()).total_seconds()
    assert 170 < left <= 180


def test_customer_follow_up_after_our_answer_starts_next_response_clock(
    agent, django_capture_on_commit_callbacks
):
    conversation = write(Channel.CHAT)
    with django_capture_on_commit_callbacks(execute=True):
        post_reply(conversation, agent, "请提供订单号")
    receive_message(channel=Channel.CHAT, customer=conversation.customer, body="DD123456789012")
    clock = conversation.sla_clocks.get(kind=ClockKind.NEXT_RESPONSE)
    assert clock.state == ClockState.RUNNING and clock.target_minutes == 3


def test_resolving_stops_every_clock(agent):
    conversation = write(Channel.WECHAT)
    change_status(conversation, Status.RESOLVED, actor=agent)
    assert not conversation.sla_clocks.filter(state=ClockState.RUNNING).exists()
    assert ConversationSla.objects.get(conversation=conversation).next_due_at is None


def test_sweep_warns_before_the_breach():
    conversation = write(Channel.WECHAT)
    result = services.sweep_slas(timezone.now() + timedelta(minutes=4, seconds=30))
    assert result.warned >= 1 and result.breached == 0
    assert first_response(conversation).warned_at is not None


def test_breach_is_escalated_to_the_teams_supervisor(supervisor, hotline):
    conversation = write(Channel.CHAT)
    conversation.team = hotline
    conversation.save()
    SlaClock.objects.filter(conversation=conversation).update(team=hotline)
    result = services.sweep_slas(timezone.now() + timedelta(minutes=2))
    assert result.breached == 1
    breach = SlaBreach.objects.get(conversation=conversation)
    assert breach.escalated_to == supervisor
    assert "1" in breach.reason
    assert ConversationSla.objects.get(conversation=conversation).breached
    # A second sweep does not breach the same clock twice.
    assert services.sweep_slas(timezone.now() + timedelta(minutes=3)).breached == 0


def test_sweep_task_runs_every_minute_through_the_task_framework():
    conversation = write(Channel.CHAT, at=timezone.now() - timedelta(minutes=5))
    chain = start_sla_sweep()
    assert run_queued_tasks() == 1
    assert SlaBreach.objects.filter(conversation=conversation).exists()
    follow_up = DBTaskResult.objects.filter(task_path__endswith="sla_sweep", status="READY").get()
    assert follow_up.run_after > timezone.now() + timedelta(seconds=50)
    # Starting a new worker retires the old chain at its next run.
    start_sla_sweep()
    assert SweepChain.objects.get().chain != chain
    assert run_queued_tasks(include_future=True) == 2
    assert DBTaskResult.objects.filter(task_path__endswith="sla_sweep", status="READY").count() == 1


def test_sweep_starts_clocks_that_never_started():
    conversation = ConversationFactory(channel=Channel.WECHAT, last_message_at=timezone.now())
    assert not conversation.sla_clocks.exists()
    assert services.start_missing_clocks() == 1
    assert first_response(conversation).target_minutes == 5


def test_urgent_message_gets_the_stricter_policy_once_the_filter_reads_it(
    django_capture_on_commit_callbacks, sla_policy
):
    sla_policy("Urgent email", Channel.EMAIL, 30, 60, 240, priority=Priority.URGENT)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = write(Channel.EMAIL, body="家里老人突然停水停电，已经一整天了，急死了！马上派人来！")
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks()
    conversation.refresh_from_db()
    assert conversation.priority == Priority.URGENT
    clock = first_response(conversation)
    assert clock.target_minutes == 30
    assert minutes(clock) == 30


def test_pause_before_national_day_resumes_with_the_business_time_left_after_it():
    conversation = write(Channel.EMAIL, at=datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI))
    assert first_response(conversation).due_at == datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)
    services.pause_clocks(conversation, datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI))
    assert first_response(conversation).remaining_seconds == 3 * 3600  # 16:00–18:00 and 09:00–10:00
    services.resume_clocks(conversation, datetime(2026, 10, 8, 9, 30, tzinfo=SHANGHAI))
    assert first_response(conversation).due_at == datetime(2026, 10, 8, 12, 30, tzinfo=SHANGHAI)
