"""Campaigns go out once per customer through the real channel adapters; caps and 退订 are honoured."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dabai.conversations.models import Conversation, DeliveryStatus, Direction, Message
from dabai.conversations.services import Inbound, receive_messages
from dabai.core.choices import Channel
from dabai.customers.services import Handle
from dabai.outreach.models import Campaign, CampaignKind, CampaignStatus, ContactPreference, Recipient
from dabai.outreach.services import campaigns, consent, segments
from dabai.testing import ChannelIdentityFactory, CustomerFactory, run_queued_tasks

pytestmark = pytest.mark.django_db


def launch(commit, **fields) -> Campaign:
    defaults = {
        "name": "宽带提速",
        "segment": {"tags": ["朝阳区"]},
        "sms_text": "{name}您好，宽带免费提速到千兆。",
        "wechat_text": "{name}您好，宽带免费提速到千兆（微信）。",
        "email_subject": "宽带提速",
        "email_text": "尊敬的{name}：宽带免费提速到千兆。",
    }
    with commit():
        campaign = campaigns.create_campaign(actor=None, **(defaults | fields))
        campaigns.schedule(campaign, None)
    return campaign


def run(commit) -> None:
    """The worker: start, send, deliver (deliveries are queued after each claim commits)."""
    for _ in range(5):
        with commit():
            if not run_queued_tasks(include_future=True):
                break


def test_a_campaign_reaches_each_customer_once_on_their_channel_personalised(
    commit, providers, people, li_wrote_lately
):
    consent.set_form_of_address(people["wang"], "先生")
    campaign = launch(commit)
    run(commit)
    assert providers.sms_to("13900000001") == ["王先生您好，宽带免费提速到千兆。回复TD退订"]
    assert [m["text"]["content"] for m in providers.wechat] == ["李娜您好，宽带免费提速到千兆（微信）。"]
    (email,) = mail.outbox
    assert email.to == ["zhang@example.cn"] and "尊敬的张伟" in email.body
    assert "https://kefu.example.cn/outreach/u/" in email.body
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    result = campaigns.results(campaign)
    assert (result["delivered"], result["failed"], result["skipped"]) == (3, 0, 0)


def test_a_crash_between_claim_and_delivery_never_sends_twice(commit, providers, people, monkeypatch):
    campaign = launch(commit, segment={"tags": ["朝阳区"]}, wechat_text="", email_text="")
    for customer, number in ((people["li"], "13900000002"), (people["zhang"], "13900000003")):
        ChannelIdentityFactory(customer=customer, channel=Channel.SMS, external_id=number)
    campaigns.start(campaign)  # recipients resolved, nothing handed over yet
    # The worker dies while handing the second message over: its transaction never commits.
    real = campaigns.post_reply
    calls = {"n": 0}

    def dies(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(campaigns, "post_reply", dies)
    with pytest.raises(SystemExit), commit():
        campaigns.send_batch(Campaign.objects.get(pk=campaign.pk))
    monkeypatch.setattr(campaigns, "post_reply", real)
    # The first claim committed but its delivery task was lost with the worker.
    DBTaskResult.objects.all().delete()
    Recipient.objects.filter(status="sent").update(sent_at=timezone.now() - timedelta(hours=1))
    for _ in range(2):  # the re-run, and a second re-run for good measure
        with commit():
            campaigns.send_batch(Campaign.objects.get(pk=campaign.pk))
        run(commit)
    for number in ("13900000001", "13900000002", "13900000003"):
        assert len(providers.sms_to(number)) == 1, number
    assert Recipient.objects.filter(campaign=campaign).count() == 3
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 3


def test_unsubscribed_customers_are_never_messaged_but_hear_of_incidents(commit, providers, people):
    consent.unsubscribe([people["wang"].pk], "desk")
    marketing = launch(commit)
    run(commit)
    assert providers.sms_to("13900000001") == []
    assert Recipient.objects.get(campaign=marketing, customer=people["wang"]).skip_reason == "unsubscribed"
    launch(commit, name="停电通知", kind=CampaignKind.TRANSACTIONAL, sms_text="{name}您好，明天检修。")
    run(commit)
    assert providers.sms_to("13900000001") == ["王小明您好，明天检修。"]


def test_td_by_sms_unsubscribes_at_once_even_mid_campaign(commit, providers, people, li_wrote_lately):
    campaign = launch(commit)
    with commit():
        campaigns.start(campaign)  # recipients resolved, nothing handed over yet
    with commit():
        receive_messages(
            [
                Inbound(
                    channel=Channel.SMS,
                    handle=Handle(Channel.SMS, "13900000001"),
                    body="TD",
                    external_id="td-1",
                )
            ]
        )
    assert ContactPreference.objects.get(customer=people["wang"]).unsubscribed_at is not None
    run(commit)
    assert providers.sms_to("13900000001") == []
    recipient = Recipient.objects.get(campaign=campaign, customer=people["wang"])
    assert (recipient.status, recipient.skip_reason) == ("skipped", "unsubscribed"), vars(recipient)
    assert len(providers.wechat) == 1  # the others still got it


def test_the_frequency_cap_limits_marketing_but_not_transactional_notices(
    commit, providers, people, settings
):
    settings.DABAI_OUTREACH_CAP = 2
    for n in range(3):
        launch(commit, name=f"促销{n}", wechat_text="", email_text="", sms_text=f"促销{n}")
        run(commit)
    assert len(providers.sms_to("13900000001")) == 2
    assert Recipient.objects.filter(skip_reason="frequency_cap").count() == 1
    launch(
        commit, name="账单", kind=CampaignKind.TRANSACTIONAL, wechat_text="", email_text="", sms_text="账单"
    )
    run(commit)
    assert len(providers.sms_to("13900000001")) == 3


def test_each_channel_rate_is_respected(commit, providers, settings):
    settings.DABAI_OUTREACH_RATE_SMS = 2
    for n in range(5):
        ChannelIdentityFactory(
            customer=CustomerFactory(display_name=f"客户{n}"),
            channel=Channel.SMS,
            external_id=f"1370000000{n}",
        )
    campaign = launch(commit, segment={"identity_channels": ["sms"]}, wechat_text="", email_text="")
    for _ in range(2):  # start, then the first minute's batch (the next one is due a minute later)
        with commit():
            run_queued_tasks()
    assert Recipient.objects.filter(campaign=campaign, status="sent").count() == 2
    run(commit)
    assert Recipient.objects.filter(campaign=campaign, status="sent").count() == 5


def test_replies_thread_into_the_campaign_conversation_and_count_in_results(commit, providers, people):
    campaign = launch(commit)
    run(commit)
    with commit():
        receive_messages(
            [
                Inbound(
                    channel=Channel.SMS,
                    handle=Handle(Channel.SMS, "13900000001"),
                    body="怎么办理？",
                    external_id="r1",
                )
            ]
        )
    recipient = Recipient.objects.get(campaign=campaign, customer=people["wang"])
    assert recipient.conversation.messages.filter(direction=Direction.INBOUND).count() == 1
    assert Conversation.objects.filter(customer=people["wang"]).count() == 1
    assert campaigns.results(campaign)["replied"] == 1


def test_email_unsubscribe_link_works_and_bad_links_are_refused(client, people):
    token = consent.unsubscribe_token(people["zhang"].pk)
    page = client.get(f"/outreach/u/{token}/")
    assert page.status_code == 200
    client.post(f"/outreach/u/{token}/")
    assert ContactPreference.objects.get(customer=people["zhang"]).unsubscribed_at is not None
    assert client.get("/outreach/u/forged-token/").status_code == 404


def test_csv_of_customers_reports_bad_lines(people):
    data = b"channel,handle\nsms,13900000001\nsms,13999999999\n\n"
    ids, errors = segments.parse_customer_csv(data)
    assert ids == [people["wang"].pk] and errors == ["line 3: no customer with sms 13999999999"]


def test_delivery_failures_are_shown_in_results(commit, providers, people, settings):
    settings.DABAI_SMS_GATEWAY_URL = ""  # no gateway: SMS can never be delivered
    campaign = launch(commit, wechat_text="", email_text="")
    run(commit)
    assert campaigns.results(campaign)["failed"] == 1
    assert Message.objects.get(direction=Direction.OUTBOUND).delivery_status == DeliveryStatus.FAILED
