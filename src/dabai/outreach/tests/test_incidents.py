"""Incident broadcast: affected customers are answered at once, notified once, and updated together."""

import pytest
from django.utils import timezone

from dabai.conversations.models import Direction, Message
from dabai.conversations.services import Inbound, receive_messages
from dabai.core.choices import Channel
from dabai.customers.services import Handle
from dabai.outreach.models import CampaignKind, IncidentLink, Recipient
from dabai.outreach.services import consent, incidents
from dabai.testing import run_queued_tasks

from .test_campaigns import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage(db, supervisor):
    return incidents.declare(
        title="朝阳区宽带中断",
        service="宽带",
        areas="朝阳区",
        keywords="断网,上不了网",
        message="朝阳区宽带因光缆故障中断，预计今晚20点前恢复，给您带来不便十分抱歉。",
        started_at=timezone.now(),
        actor=supervisor,
    )


def sms(number: str, body: str, key: str):
    return receive_messages(
        [Inbound(channel=Channel.SMS, handle=Handle(Channel.SMS, number), body=body, external_id=key)]
    )


def test_an_affected_customer_who_writes_is_answered_at_once_and_grouped(commit, providers, people, outage):
    with commit():
        (received,) = sms("13900000001", "家里又断网了，怎么回事", "in-1")
    run_queued_tasks()
    conversation = received.message.conversation
    assert IncidentLink.objects.get(incident=outage).conversation == conversation
    assert providers.sms_to("13900000001") == [f"{incidents.AUTO_PREFIX}{outage.message}"]
    with commit():
        sms("13900000001", "还没好吗", "in-2")
        sms("13900000001", "断网好久了", "in-3")
    run_queued_tasks()
    assert len(providers.sms_to("13900000001")) == 1, "answered once per conversation"


def test_customers_outside_the_area_writing_about_something_else_are_left_alone(commit, providers, outage):
    with commit():
        sms("13800000009", "发票怎么开", "x-1")
        sms("13800000008", "海淀区这边断网了吗", "x-2")
    run_queued_tasks()
    assert not IncidentLink.objects.exists() and providers.sms == []


def test_notify_all_reaches_every_affected_customer_once_even_the_unsubscribed(
    commit, providers, people, li_wrote_lately, outage, supervisor, settings
):
    settings.DABAI_OUTREACH_CAP = 0  # no marketing at all this week: incident notices are exempt
    consent.unsubscribe([people["wang"].pk], "desk")
    with commit():
        notice = incidents.notify_affected(outage, supervisor)
        again = incidents.notify_affected(outage, supervisor)
    assert notice == again and notice.kind == CampaignKind.INCIDENT
    run(commit)
    assert len(providers.sms_to("13900000001")) == 1
    assert len(providers.wechat) == 1
    assert Recipient.objects.filter(campaign=notice, status="sent").count() == 3


def test_one_update_reaches_every_grouped_conversation(commit, providers, people, outage, supervisor):
    with commit():
        sms("13900000001", "断网了", "g-1")
        receive_messages(
            [
                Inbound(
                    channel=Channel.WECHAT,
                    handle=Handle(Channel.WECHAT, "openid-li"),
                    body="宽带上不了网",
                    external_id="g-2",
                )
            ]
        )
    run_queued_tasks()
    assert IncidentLink.objects.filter(incident=outage).count() == 2
    with commit():
        told = incidents.resolve(outage, supervisor, "已恢复，感谢耐心等待。")
    run_queued_tasks()
    assert told == 2
    assert Message.objects.filter(direction=Direction.OUTBOUND, body__contains="已恢复").count() == 2
    outage.refresh_from_db()
    assert outage.resolved_at is not None
