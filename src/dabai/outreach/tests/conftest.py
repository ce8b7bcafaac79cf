import json
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Request, Response

from dabai.conversations.services import Inbound, receive_messages
from dabai.core.choices import Channel
from dabai.customers.models import CustomerTag
from dabai.customers.services import Handle
from dabai.testing import ChannelIdentityFactory, CustomerFactory


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit(): …`` runs what would happen after the transaction commits (tasks, live events)."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block


@dataclass
class Providers:
    """The SMS gateway and the WeChat API played on loopback, recording every message they were handed."""

    sms: list[dict] = field(default_factory=list)
    wechat: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sms_to(self, number: str) -> list[str]:
        return [m["text"] for m in self.sms if m["to"] == number]


@pytest.fixture
def providers(httpserver, settings):
    state = Providers()

    def sms(request: Request) -> Response:
        with state.lock:
            state.sms.append(json.loads(request.data))
            return Response(json.dumps({"id": f"sms-{len(state.sms)}"}), content_type="application/json")

    def token(request: Request) -> Response:
        return Response(
            json.dumps({"access_token": "T", "expires_in": 7200}), content_type="application/json"
        )

    def wechat(request: Request) -> Response:
        with state.lock:
            state.wechat.append(json.loads(request.data))
        return Response(json.dumps({"errcode": 0, "errmsg": "ok"}), content_type="application/json")

    httpserver.expect_request("/sms/send").respond_with_handler(sms)
    httpserver.expect_request("/cgi-bin/token").respond_with_handler(token)
    httpserver.expect_request("/cgi-bin/message/custom/send").respond_with_handler(wechat)
    settings.DABAI_SMS_GATEWAY_URL = httpserver.url_for("/sms/send")
    settings.DABAI_SMS_GATEWAY_KEY = "gateway-key"
    settings.DABAI_WECHAT_API_BASE = httpserver.url_for("").rstrip("/")
    settings.DABAI_WECHAT_APP_ID = "wx-app"
    settings.DABAI_WECHAT_APP_SECRET = "wx-secret"
    settings.DABAI_SUPPORT_EMAIL = "kefu@dabai.example"
    settings.DABAI_PUBLIC_URL = "https://kefu.example.cn"
    return state


@pytest.fixture
def people(db):
    """Three reachable customers: 王 by SMS (a man), 李 by WeChat, 张 by email; all tagged 朝阳区."""
    area = CustomerTag.objects.create(name="朝阳区")
    wang = ChannelIdentityFactory(
        customer=CustomerFactory(display_name="王小明"), channel=Channel.SMS, external_id="13900000001"
    ).customer
    li = ChannelIdentityFactory(
        customer=CustomerFactory(display_name="李娜"), channel=Channel.WECHAT, external_id="openid-li"
    ).customer
    zhang = ChannelIdentityFactory(
        customer=CustomerFactory(display_name="张伟"), channel=Channel.EMAIL, external_id="zhang@example.cn"
    ).customer
    for customer in (wang, li, zhang):
        customer.tags.add(area)
    return {"wang": wang, "li": li, "zhang": zhang}


@pytest.fixture
def li_wrote_lately(people):
    """李 wrote on WeChat two hours ago: inside the 48-hour window, so she may get customer-service messages
    (and too old for the bot to answer now)."""
    receive_messages(
        [
            Inbound(
                channel=Channel.WECHAT,
                handle=Handle(Channel.WECHAT, "openid-li"),
                body="好的，知道了",
                external_id="li-lately",
                sent_at=timezone.now() - timedelta(hours=2),
            )
        ]
    )
    return people["li"]
