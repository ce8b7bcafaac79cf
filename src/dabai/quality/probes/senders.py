"""How a probe enters each channel: exactly as the outside world would, through the channel's real door.

Each sender builds what the partner sends (the SMS gateway's JSON, an RFC 822 mail, WeChat's XML, a Weibo
private message, a call centre's call record), signs it with the channel's own secret and helpers, and posts
it to the site's own public address with ``httpx`` (or, for email with IMAP configured, appends it to the
mailbox the poller reads). Whatever breaks on that path (a wrong secret, a proxy, a full disk, the drain not
running) makes the probe late or failed: that is the point of it.

The probes write as handles no real customer can have (``00000000000``, ``probe@dabai.invalid``, a WeChat
and Weibo id that are not ids) and carry a random token that only a pending probe run knows.
"""

import imaplib
import json
import secrets
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import httpx
from django.urls import reverse
from django.utils import timezone

from dabai.channels import conf as channel_conf
from dabai.channels.signing import sign
from dabai.channels.wechat.protocol import encrypt, signature
from dabai.core.choices import Channel

PROBE_NUMBER = "00000000000"
PROBE_EMAIL = "probe@dabai.invalid"
PROBE_WECHAT_ID = "dabai-probe"
PROBE_WEIBO_ID = "dabai-probe"
PROBE_NAME = "大白拨测"
TIMEOUT_SECONDS = 10.0


class ProbeSendError(Exception):
    """The channel's door refused or never answered the probe (the message says how)."""


def probe_text(token: str) -> str:
    """What the probe says: plainly a test (should anyone ever see it), with the token that identifies it."""
    return f"【大白拨测】通道自动检测消息，请忽略。#{token}"


def configured_channels() -> list[str]:
    """The channels that can take a probe: their door has the secret it checks (chat has no door to sign)."""
    found = []
    if channel_conf.sms_secret():
        found.append(Channel.SMS)
    if channel_conf.imap()["host"] or channel_conf.webhook_secret():
        found.append(Channel.EMAIL)
    if channel_conf.wechat()["token"]:
        found.append(Channel.WECHAT)
    if channel_conf.webhook_secret():
        found += [Channel.WEIBO, Channel.PHONE]
    return [str(c) for c in found]


def _post_signed(client: httpx.Client, secret: str, url: str, body: bytes, content_type: str) -> None:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": content_type,
        "X-Timestamp": timestamp,
        "X-Signature": sign(secret, timestamp, body),
    }
    _check(client.post(url, content=body, headers=headers))


def _check(response: httpx.Response) -> None:
    if response.status_code >= 300:
        raise ProbeSendError(f"HTTP {response.status_code}: {response.text[:200]}")


def send_sms(client: httpx.Client, token: str) -> None:
    body = json.dumps(
        {"from": PROBE_NUMBER, "to": "probe", "text": probe_text(token), "id": f"probe-{token}"},
        ensure_ascii=False,
    ).encode()
    _post_signed(client, channel_conf.sms_secret(), reverse("channels:sms_inbound"), body, "application/json")


def probe_email(token: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"{PROBE_NAME} <{PROBE_EMAIL}>"
    mail["To"] = channel_conf.support_address()
    mail["Subject"] = f"大白拨测 {token[:8]}"
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = make_msgid(f"probe-{token[:12]}", "dabai.invalid")
    mail.set_content(probe_text(token))
    return mail.as_bytes()


def send_email(client: httpx.Client, token: str) -> None:
    """Into the IMAP mailbox the poller reads when IMAP is configured, else through the relay's webhook."""
    raw = probe_email(token)
    imap = channel_conf.imap()
    if imap["host"]:
        append_to_mailbox(imap, raw)
        return
    _post_signed(
        client, channel_conf.webhook_secret(), reverse("channels:email_inbound"), raw, "message/rfc822"
    )


def append_to_mailbox(options: dict, raw: bytes) -> None:
    cls = imaplib.IMAP4_SSL if options["ssl"] else imaplib.IMAP4
    try:
        with cls(options["host"], options["port"], timeout=TIMEOUT_SECONDS) as imap:
            imap.login(options["user"], options["password"])
            status, data = imap.append(options["mailbox"], "", imaplib.Time2Internaldate(time.time()), raw)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ProbeSendError(f"IMAP: {exc}") from exc
    if status != "OK":
        raise ProbeSendError(f"IMAP APPEND: {status} {data!r}")


def send_wechat(client: httpx.Client, token: str) -> None:
    """A text message callback, signed with the token; in safe mode (AES) when a key is configured."""
    settings_ = channel_conf.wechat()
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    xml = (
        f"<xml><ToUserName><![CDATA[{settings_['app_id'] or 'gh_dabai'}]]></ToUserName>"
        f"<FromUserName><![CDATA[{PROBE_WECHAT_ID}]]></FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{probe_text(token)}]]></Content>"
        f"<MsgId>{int(token[:12], 16)}</MsgId></xml>"
    )
    query = {
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": signature(settings_["token"], timestamp, nonce),
    }
    if settings_["aes_key"]:
        encrypted = encrypt(xml, settings_["aes_key"], settings_["app_id"])
        query |= {
            "encrypt_type": "aes",
            "msg_signature": signature(settings_["token"], timestamp, nonce, encrypted),
        }
        xml = (
            f"<xml><ToUserName><![CDATA[{settings_['app_id']}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        )
    response = client.post(
        reverse("channels:wechat"), params=query, content=xml.encode(), headers={"Content-Type": "text/xml"}
    )
    _check(response)


def send_weibo(client: httpx.Client, token: str) -> None:
    """A private message pushed by the bridge (never a public post: nothing shows on anyone's timeline)."""
    item = {
        "id": int(token[:12], 16),
        "text": probe_text(token),
        "sender": {"idstr": PROBE_WEIBO_ID, "screen_name": PROBE_NAME},
    }
    body = json.dumps({"direct_messages": [item]}, ensure_ascii=False).encode()
    _post_signed(
        client, channel_conf.webhook_secret(), reverse("channels:weibo_inbound"), body, "application/json"
    )


def send_phone(client: httpx.Client, token: str) -> None:
    """A call record from the call centre, its transcript saying the probe's words."""
    record = {
        "call_id": f"probe-{token}",
        "caller": PROBE_NUMBER,
        "duration": 1,
        "transcript": [{"speaker": "customer", "text": probe_text(token)}],
    }
    body = json.dumps(record, ensure_ascii=False).encode()
    _post_signed(
        client, channel_conf.webhook_secret(), reverse("channels:phone_inbound"), body, "application/json"
    )


SENDERS: dict[str, Callable[[httpx.Client, str], None]] = {
    Channel.SMS: send_sms,
    Channel.EMAIL: send_email,
    Channel.WECHAT: send_wechat,
    Channel.WEIBO: send_weibo,
    Channel.PHONE: send_phone,
}
