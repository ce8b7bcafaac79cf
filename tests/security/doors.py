"""Every inbound door of dabai, driven the way its sender drives it, and the probe's one invariant.

A delivery ends in a 4xx at the door, or in the customer's words stored once the drain (and its retries) have
run: never a 2xx and then nothing, never a 500. ``Delivery`` records which of those happened.
"""

import base64
import hashlib
import hmac
import itertools
import json
import os
import struct
import time
import urllib.parse
from dataclasses import dataclass
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from Crypto.Cipher import AES

from dabai.channels.models import InboundPayload, PayloadStatus
from dabai.conversations.models import Message
from dabai.testing import run_queued_tasks

from .tally import count

SECRET = "probe-webhook-secret"
WECHAT_TOKEN = "probetoken"
WECHAT_APP_ID = "wxprobe000000001"
WECHAT_AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")

SMS = "/channels/sms/inbound/"
EMAIL = "/channels/email/inbound/"
PHONE = "/channels/phone/inbound/"
WEIBO = "/channels/weibo/inbound/"
WECHAT = "/channels/wechat/"
WECHAT_SAFE = "wechat-safe"  # the same URL, in safe mode (an AES key configured)
CHAT_SESSION = "/channels/chat/session/"
IMPORTS = "/channels/imports/"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The gateways' signature: hex HMAC-SHA256 over ``timestamp.body`` (sent in X-Signature)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def wechat_signature(*parts: str) -> str:
    """WeChat's SHA-1 over the lexically sorted parts (token, timestamp, nonce[, ciphertext])."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


_NONCES = (f"n{time.time_ns()}x{i}" for i in itertools.count())


def signed_headers(body: bytes, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"HTTP_X_TIMESTAMP": ts, "HTTP_X_SIGNATURE": sign(secret, ts, body)}


def wechat_query(
    *, timestamp: int | None = None, nonce: str | None = None, token: str = WECHAT_TOKEN, encrypted: str = ""
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or next(_NONCES)
    query = {"signature": wechat_signature(token, ts, nonce), "timestamp": ts, "nonce": nonce}
    if encrypted:
        query.update(encrypt_type="aes", msg_signature=wechat_signature(token, ts, nonce, encrypted))
    return query


def wechat_url(**kwargs) -> str:
    return WECHAT + "?" + urllib.parse.urlencode(wechat_query(**kwargs))


def encrypt_bytes(data: bytes) -> str:
    """WeChat's safe-mode encryption of any bytes (the product's ``encrypt`` takes text only)."""
    key = base64.b64decode(WECHAT_AES_KEY + "=")
    body = os.urandom(16) + struct.pack(">I", len(data)) + data + WECHAT_APP_ID.encode()
    pad = 32 - len(body) % 32
    body += bytes([pad]) * pad
    return base64.b64encode(AES.new(key, AES.MODE_CBC, key[:16]).encrypt(body)).decode()


def safe_envelope(xml: bytes | str) -> tuple[bytes, str]:
    """(the safe-mode envelope, the ciphertext) of a plaintext callback body."""
    encrypted = encrypt_bytes(xml.encode() if isinstance(xml, str) else xml)
    envelope = (
        f"<xml><ToUserName><![CDATA[gh_probe]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    return envelope.encode(), encrypted


# Well-formed bodies, one per door, with the words that must be stored. The corpus bends one part at a time.


def sms(**fields) -> dict:
    return {"from": "13900001111", "text": "短信里的话", "id": f"sms-{time.time_ns()}", **fields}


def call(**fields) -> dict:
    return {
        "call_id": f"CC-{time.time_ns()}",
        "caller": "13800138000",
        "duration": 61,
        "started_at": "2026-03-01T09:00:00+08:00",
        "transcript": [{"speaker": "customer", "text": "电话里的话"}],
        **fields,
    }


def weibo_item(**fields) -> dict:
    return {
        "id": time.time_ns() % 10**15,
        "text": "微博上的话",
        "created_at": "Wed Nov 25 09:00:00 +0800 2026",
        "user": {"id": 1404, "screen_name": "小王"},
        **fields,
    }


def wechat_xml(
    *, content: str = "微信里的话", create_time: str = "", msg_id: str = "", openid: str = "oProbe"
) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_probe]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or time.time_ns()}</MsgId></xml>"
    )


def email(
    *,
    body: str = "邮件里的话",
    subject: str = "咨询",
    from_name: str = "李女士",
    address: str = "li@example.cn",
    attachment_header: str | None = None,
    message_id: str | None = None,
) -> bytes:
    mime = MIMEMultipart()
    mime["From"] = f"{Header(from_name, 'utf-8').encode()} <{address}>" if from_name else address
    mime["To"] = "kefu@dabai.example"
    mime["Subject"] = Header(subject, "utf-8").encode()
    mime["Message-ID"] = message_id or f"<probe-{time.time_ns()}@example.cn>"
    mime.attach(MIMEText(body, "plain", "utf-8"))
    if attachment_header is not None:
        attachment = MIMEApplication(b"attached bytes")
        attachment["Content-Disposition"] = attachment_header
        mime.attach(attachment)
    return mime.as_bytes()


def as_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


@dataclass
class Delivery:
    label: str
    status: int
    lost: str = ""  # why an acknowledged delivery counts as lost ("" when it held)

    @property
    def server_error(self) -> bool:
        return self.status >= 500

    @property
    def held(self) -> bool:
        return not self.server_error and not self.lost


def drain(capture) -> None:
    """Let the worker run everything queued, retries and back-off included (time passes)."""
    for _ in range(10):
        with capture(execute=True):
            if not run_queued_tasks(include_future=True):
                break


def post(client, door: str, body: bytes, *, content_type: str = "application/json", headers=None, query=None):
    """One request to a door, signed as its sender signs it unless ``headers``/``query`` say otherwise."""
    if door in {WECHAT, WECHAT_SAFE}:
        if query is None:
            if door == WECHAT_SAFE:
                envelope_text = body.decode("utf-8", "replace")
                encrypted = envelope_text.split("<Encrypt><![CDATA[", 1)[-1].split("]]>", 1)[0]
                query = wechat_query(encrypted=encrypted)
            else:
                query = wechat_query()
        url = WECHAT + "?" + urllib.parse.urlencode(query)
        return client.post(url, data=body, content_type="text/xml", **(headers or {}))
    if headers is None:
        headers = signed_headers(body)
    return client.post(door, data=body, content_type=content_type, **headers)


def deliver(
    client,
    capture,
    label: str,
    door: str,
    body: bytes,
    *,
    words: str | None = None,
    content_type: str = "application/json",
    headers=None,
    query=None,
) -> Delivery:
    """Post, drain, judge: a 4xx, or (2xx) every payload processed and ``words`` stored; tallied."""
    before = InboundPayload.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with capture(execute=True):
        response = post(client, door, body, content_type=content_type, headers=headers, query=query)
    drain(capture)
    outcome = Delivery(label, response.status_code)
    if 200 <= response.status_code < 300:
        stuck = list(
            InboundPayload.objects.filter(pk__gt=before)
            .exclude(status__in=[PayloadStatus.PROCESSED, PayloadStatus.REJECTED])
            .values_list("status", "error")
        )
        if stuck:
            outcome.lost = f"payloads left {stuck}"
        elif words is not None and not Message.objects.filter(body__contains=words).exists():
            outcome.lost = f"{words!r} not stored"
    elif response.status_code >= 300 and response.status_code < 400:
        outcome.lost = f"unexpected redirect {response.status_code}"
    count(label, server_error=outcome.server_error, lost=bool(outcome.lost))
    return outcome
