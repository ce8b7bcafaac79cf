"""WeChat campaigns inside the 48-hour window go out as customer-service messages, outside it as the
admin's template message, or not at all with the reason; WeChat's errors are retried or not as it says."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Request, Response

from dabai.channels.models import Delivery, Subscription
from dabai.conversations.models import DeliveryStatus, Message
from dabai.conversations.services import Inbound, receive_messages
from dabai.core.choices import Channel
from dabai.customers.services import Handle
from dabai.outreach.models import Recipient, WeChatTemplate
from dabai.outreach.services import consent, incidents

from .test_campaigns import launch, run

pytestmark = pytest.mark.django_db

WECHAT_ONLY = {"sms_text": "", "email_text": "", "wechat_text": "{name}您好，宽带免费提速到千兆。"}


class WeChat:
    """The WeChat API on loopback: the customer-service and template endpoints record what they get and
    answer with the error codes queued for them (then success)."""

    def __init__(self, httpserver, settings) -> None:
        self.custom: list[dict] = []
        self.template: list[dict] = []
        self.errors: list[int] = []
        httpserver.expect_request("/cgi-bin/token").respond_with_json(
            {"access_token": "T", "expires_in": 7200}
        )
        httpserver.expect_request("/cgi-bin/message/custom/send").respond_with_handler(
            self._answer(self.custom)
        )
        httpserver.expect_request("/cgi-bin/message/template/send").respond_with_handler(
            self._answer(self.template)
        )
        settings.DABAI_WECHAT_API_BASE = httpserver.url_for("").rstrip("/")
        settings.DABAI_WECHAT_APP_ID = "wx-app"
        settings.DABAI_WECHAT_APP_SECRET = "wx-secret"

    def _answer(self, log: list[dict]):
        def handle(request: Request) -> Response:
            assert request.args.get("access_token") == "T"
            log.append(json.loads(request.data))
            code = self.errors.pop(0) if self.errors else 0
            body = {"errcode": code, "errmsg": "ok" if not code else "error", "msgid": 200 + len(log)}
            return Response(json.dumps(body), content_type="application/json")

        return handle


@pytest.fixture
def wechat(httpserver, settings) -> WeChat:
    return WeChat(httpserver, settings)


@pytest.fixture
def template(db) -> WeChatTemplate:
    return WeChatTemplate.objects.create(
        name="服务通知",
        template_id="TPL-service-1",
        fields={"first": "{name}您好", "keyword1": "{title}", "remark": "{message}"},
        url="https://kefu.example.cn/notice",
    )


def li_wrote(commit, hours_ago: float) -> None:
    with commit():
        receive_messages(
            [
                Inbound(
                    channel=Channel.WECHAT,
                    handle=Handle(Channel.WECHAT, "openid-li"),
                    body="宽带的事情我知道了",
                    external_id=f"li-{hours_ago}",
                    sent_at=timezone.now() - timedelta(hours=hours_ago),
                )
            ]
        )


def li(campaign) -> Recipient:
    return Recipient.objects.select_related("message").get(campaign=campaign, channel=Channel.WECHAT)


def test_inside_the_window_a_customer_service_message_goes_out(commit, wechat, people, template):
    li_wrote(commit, hours_ago=3)
    campaign = launch(commit, wechat_template=template, **WECHAT_ONLY)
    run(commit)
    assert [m["text"]["content"] for m in wechat.custom] == ["李娜您好，宽带免费提速到千兆。"]
    assert wechat.template == []
    assert li(campaign).message.delivery_status == DeliveryStatus.SENT


def test_outside_the_window_the_template_message_goes_out_personalised(commit, wechat, people, template):
    consent.set_form_of_address(people["li"], "女士")
    li_wrote(commit, hours_ago=50)
    campaign = launch(commit, wechat_template=template, **WECHAT_ONLY)
    run(commit)
    assert wechat.custom == []
    assert wechat.template == [
        {
            "touser": "openid-li",
            "template_id": "TPL-service-1",
            "url": "https://kefu.example.cn/notice",
            "data": {
                "first": {"value": "李女士您好"},
                "keyword1": {"value": "宽带提速"},
                "remark": {"value": "李女士您好，宽带免费提速到千兆。"},
            },
        }
    ]
    recipient = li(campaign)
    assert recipient.message.delivery_status == DeliveryStatus.SENT
    assert Delivery.objects.get(message=recipient.message).provider_id == "201"  # WeChat's msgid
    assert "宽带免费提速到千兆" in recipient.message.body  # the thread shows what the template said


def test_outside_the_window_without_a_template_the_customer_is_skipped_with_the_reason(
    commit, wechat, people
):
    campaign = launch(commit, **WECHAT_ONLY)
    run(commit)
    recipient = li(campaign)
    assert (recipient.status, recipient.skip_reason) == ("skipped", "outside_wechat_window")
    assert wechat.custom == wechat.template == [] and recipient.message is None


def test_an_unfollowed_account_is_remembered_and_never_messaged_again(commit, wechat, people, template):
    wechat.errors = [43004]
    first = launch(commit, wechat_template=template, **WECHAT_ONLY)
    run(commit)
    message = li(first).message
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "43004" in Delivery.objects.get(message=message).last_error
    assert len(wechat.template) == 1, "a permanent error is not retried"
    assert Subscription.objects.get(channel=Channel.WECHAT, external_id="openid-li").subscribed is False
    second = launch(commit, name="再次提醒", wechat_template=template, **WECHAT_ONLY)
    run(commit)
    assert (li(second).status, li(second).skip_reason) == ("skipped", "wechat_unfollowed")
    assert len(wechat.template) == 1 and wechat.custom == []


def test_a_bad_openid_fails_at_once_without_unsubscribing(commit, wechat, people, template):
    wechat.errors = [40003]
    campaign = launch(commit, wechat_template=template, **WECHAT_ONLY)
    run(commit)
    assert li(campaign).message.delivery_status == DeliveryStatus.FAILED
    assert len(wechat.template) == 1
    assert not Subscription.objects.filter(subscribed=False).exists()


def test_system_busy_is_retried_until_it_goes_through(commit, wechat, people, template):
    wechat.errors = [-1, 45009]
    campaign = launch(commit, wechat_template=template, **WECHAT_ONLY)
    run(commit)
    assert len(wechat.template) == 3 and wechat.template[0] == wechat.template[2]
    message = Message.objects.get(pk=li(campaign).message_id)
    assert message.delivery_status == DeliveryStatus.SENT


def test_an_incident_notice_uses_the_incident_template_outside_the_window(commit, wechat, people, supervisor):
    WeChatTemplate.objects.create(
        name="故障通知",
        template_id="TPL-outage",
        fields={"first": "{name}您好", "keyword1": "{title}", "remark": "{message}"},
        for_incidents=True,
    )
    outage = incidents.declare(
        title="朝阳区宽带中断",
        service="宽带",
        areas="朝阳区",
        keywords="断网",
        message="预计今晚20点前恢复",
        started_at=timezone.now(),
        actor=supervisor,
    )
    with commit():
        incidents.notify_affected(outage, supervisor)
    run(commit)
    (sent,) = wechat.template
    assert sent["template_id"] == "TPL-outage" and sent["touser"] == "openid-li"
    assert sent["data"]["remark"]["value"] == f"{incidents.AUTO_PREFIX}预计今晚20点前恢复"
    assert "url" not in sent


def test_typed_template_fields_are_cut_to_what_wechat_accepts(commit, wechat, people):
    """WeChat refuses a whole template message whose ``thing`` field is over 20 characters: the campaign's
    long text is cut to fit (one line, ending "…"), untyped and short fields go out as written."""
    typed = WeChatTemplate.objects.create(
        name="服务进度",
        template_id="TPL-typed",
        fields={
            "thing1": "{message}",
            "phrase2": "已完成处理",
            "character_string3": "KD-2026-001",
            "remark": "{message}",
        },
    )
    li_wrote(commit, hours_ago=50)
    text = "{name}您好，您所在小区的宽带线路已于今天下午完成升级改造，\n速率免费提速到千兆，如有问题请回复。"
    launch(commit, wechat_template=typed, sms_text="", email_text="", wechat_text=text)
    run(commit)
    data = wechat.template[0]["data"]
    assert len(data["thing1"]["value"]) == 20 and data["thing1"]["value"].endswith("…")
    assert "\n" not in data["thing1"]["value"] and data["thing1"]["value"].startswith("李娜您好")
    assert data["phrase2"]["value"] == "已完成处理" and data["character_string3"]["value"] == "KD-2026-001"
    assert data["remark"]["value"].endswith("如有问题请回复。")
