"""The machine doors under the real ASGI application: served without the browser's middleware chain (no
session, sign-in, CSRF, language or CSP work per webhook), yet still refusing hosts we do not serve and
answering with headers that cannot be sniffed or framed. Other pages keep the whole chain."""

import asyncio
import base64
import json
import time
import urllib.parse

import pytest
from django.urls import get_resolver

from dabai.channels import wechat
from dabai.channels.models import InboundPayload, PayloadStatus
from dabai.conversations.models import Insight, Message
from dabai.core.asgi import DOOR_ATTRIBUTE
from dabai.core.choices import Channel

from .conftest import drain, signed_headers

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DOORS = {
    "channels:email_inbound",
    "channels:sms_inbound",
    "channels:phone_inbound",
    "channels:weibo_inbound",
    "channels:wechat",
}


def call(
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str = "testserver",
    query: str = "",
) -> tuple[int, dict[str, list[str]], bytes]:
    """One request through ``dabai.config.asgi.application``, as uvicorn hands it over."""
    from dabai.config.asgi import application

    raw_headers = [(b"host", host.encode()), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict] = []

    async def run() -> None:
        incoming = [{"type": "http.request", "body": body, "more_body": False}]
        finished = asyncio.Event()

        async def receive() -> dict:
            if incoming:
                return incoming.pop()
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                finished.set()

        await application(scope, receive, send)
        await application.application_mapping["http"].app.close()  # the express lane (behind BusyDoors)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    names = {}
    for name, value in start["headers"]:
        names.setdefault(name.decode().lower(), []).append(value.decode())
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], names, content


def signed(body: bytes, content_type: str = "application/json") -> dict[str, str]:
    """The gateway's headers: X-Timestamp, X-Signature over the exact body, and the content type."""
    headers = {key.removeprefix("HTTP_").replace("_", "-"): v for key, v in signed_headers(body).items()}
    return {**headers, "Content-Type": content_type}


def sms(text: str, sms_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"from": "13900001111", "text": text, "id": sms_id}, ensure_ascii=False).encode()
    return body, signed(body)


def post_wechat(envelope: bytes, query: str) -> tuple[int, dict[str, list[str]], bytes]:
    return call("POST", "/channels/wechat/", envelope, {"Content-Type": "text/xml"}, query=query)


def test_a_webhook_is_stored_without_the_browser_middleware() -> None:
    body, headers = sms("宽带又断了", "door-1")
    status, answer, _ = call("POST", "/channels/sms/inbound/", body, headers)
    assert status == 202
    assert InboundPayload.objects.get().status == PayloadStatus.RECEIVED
    assert "set-cookie" not in answer, "no session or CSRF cookie for a machine"
    assert "content-security-policy" not in answer and "vary" not in answer, "no page middleware ran"
    assert answer["x-content-type-options"] == ["nosniff"] and answer["x-frame-options"] == ["DENY"]


def test_a_door_still_checks_the_signature_and_the_host() -> None:
    body, headers = sms("伪造的短信", "door-2")
    status, _, _ = call("POST", "/channels/sms/inbound/", body, {**headers, "X-Signature": "0" * 64})
    assert status == 401
    status, _, _ = call("POST", "/channels/sms/inbound/", body, headers, host="evil.example")
    assert status == 400
    assert not InboundPayload.objects.exclude(status=PayloadStatus.REJECTED).exists()


def test_pages_keep_the_whole_middleware_chain() -> None:
    status, answer, _ = call("GET", "/accounts/login/")
    assert status == 200
    assert "content-security-policy" in answer or "content-security-policy-report-only" in answer
    assert any("csrftoken" in cookie for cookie in answer.get("set-cookie", []))


def test_only_the_signed_webhooks_are_doors() -> None:
    """A view served without sessions and CSRF must check its caller itself: only the five webhooks do."""
    doors = set()

    def walk(patterns, namespace: str = "") -> None:
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif getattr(pattern.callback, DOOR_ATTRIBUTE, False):
                doors.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    assert doors == DOORS


def wechat_callback(text: str, msg_id: str, nonce: str, timestamp: str) -> tuple[str, bytes]:
    """A safe-mode WeChat callback as WeChat sends it: (query string, envelope)."""
    from django.conf import settings

    plain = (
        "<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oUpF8uMuAJO_M2pxb1Q9zNjWeS6o]]>"
        f"</FromUserName><CreateTime>1764034200</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    encrypted = wechat.encrypt(plain, settings.DABAI_WECHAT_AES_KEY, settings.DABAI_WECHAT_APP_ID)
    envelope = (
        f"<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
    )
    envelope += "</xml>"
    token = settings.DABAI_WECHAT_TOKEN
    query = {
        "signature": wechat.signature(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": wechat.signature(token, timestamp, nonce, encrypted),
    }
    return urllib.parse.urlencode(query), envelope.encode()


def test_every_door_stores_what_the_drain_reads_and_answers_as_before(settings) -> None:
    """The express lane (PostgreSQL) and Django's door (SQLite) give the same answers and the same rows."""
    settings.DABAI_WECHAT_TOKEN, settings.DABAI_WECHAT_APP_ID = "doortoken", "wx1234567890abcdef"
    settings.DABAI_WECHAT_AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
    body, headers = sms("话费多扣了", "door-sms")
    status, _, content = call("POST", "/channels/sms/inbound/", body, headers)
    assert status == 202 and json.loads(content)["payload_id"] == InboundPayload.objects.get().pk

    turns = [{"speaker": "customer", "text": "宽带断了", "start": 0}]
    call_record = json.dumps({"call_id": "door-call", "caller": "13800001111", "transcript": turns})
    phone_headers = signed(call_record.encode(), "application/json; charset=utf-8")
    status, _, _ = call("POST", "/channels/phone/inbound/", call_record.encode(), phone_headers)
    assert status == 202
    assert InboundPayload.objects.get(channel=Channel.PHONE).meta == {"content_type": "application/json"}

    now = str(int(time.time()))
    query, envelope = wechat_callback("快递三天没动了", "6054768590064713001", "n-door-1", now)
    status, answer, content = post_wechat(envelope, query)
    assert (status, content, answer["content-type"]) == (200, b"success", ["text/plain"])
    status, _, content = post_wechat(envelope, query)
    assert (status, content) == (200, b"success"), "WeChat retrying the same callback is answered again"
    stored = InboundPayload.objects.filter(channel=Channel.WECHAT)
    assert "signature" not in json.dumps(stored[0].meta) and stored[0].meta["query"]["nonce"] == "n-door-1"
    status, _, _ = post_wechat(*reversed(wechat_callback("另一条", "6054768590064713002", "n-door-1", now)))
    assert status == 403, "the same nonce with another body is a replay"

    drain()
    assert set(Message.objects.values_list("external_id", flat=True)) == {
        "door-sms",
        "call:door-call",
        "6054768590064713001",
    }
    assert Insight.objects.count() == 3
    assert not InboundPayload.objects.exclude(status=PayloadStatus.PROCESSED).exists()


def test_a_malformed_delivery_is_refused_and_kept_as_before() -> None:
    body = b'{"from": "13900001111"}'
    headers = {key.removeprefix("HTTP_").replace("_", "-"): v for key, v in signed_headers(body).items()}
    status, _, content = call(
        "POST", "/channels/sms/inbound/", body, headers | {"Content-Type": "application/json"}
    )
    assert status == 400 and json.loads(content)["status"] == "rejected"
    assert InboundPayload.objects.get().status == PayloadStatus.REJECTED
    assert bytes(InboundPayload.objects.get().raw) == body
