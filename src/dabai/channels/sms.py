"""SMS through a generic HMAC-signed gateway: inbound webhook, 70-character segments out, 退订 respected."""

import hashlib
import hmac
import json
import urllib.request
from collections.abc import Callable
from typing import Protocol

from django.utils import timezone

from dabai.channels import conf
from dabai.channels.models import InboundPayload
from dabai.channels.sanitise import cap_extras, from_timestamp, identifier, load_json, text_of
from dabai.channels.services import PayloadError, register_handler, set_subscription
from dabai.conversations.services import Inbound
from dabai.core.choices import Channel
from dabai.customers.services import Handle

SEGMENT_LENGTH = 70
MAX_NUMBER_DIGITS = 20
UNSUBSCRIBE_WORDS = {"退订", "TD", "T", "取消", "UNSUBSCRIBE", "STOP"}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 over ``timestamp.body``: what the gateway sends in X-Signature."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def normalise_phone(number: str) -> str:
    """One form per mobile number (+86 and spaces dropped), so the same phone is one customer."""
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def segments(text: str, size: int = SEGMENT_LENGTH) -> list[str]:
    """Split a long reply into numbered-free 70-character pieces (Chinese SMS is 70 characters each)."""
    text = text.strip()
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def is_unsubscribe(text: str) -> bool:
    return text.strip().upper() in UNSUBSCRIBE_WORDS


SMS_FIELDS = {"from", "to", "text", "id", "timestamp"}


def check(raw: bytes) -> dict:
    """The gateway's JSON with from, text and id, or PayloadError: checked at the door, before storing.

    A bad timestamp is not a reason to refuse someone's words: it is dropped (the message is dated on
    arrival). Text may come as a number (a reply of "1"); anything else is not a text message.
    """
    data = load_json(raw)
    if not isinstance(data, dict) or not {"from", "text", "id"} <= data.keys():
        raise PayloadError("expected JSON with from, text and id")
    number = normalise_phone(identifier(data["from"], "from"))
    text = text_of(data["text"])
    if text is None:
        raise PayloadError("text must be a string")
    if not number or len(number) > MAX_NUMBER_DIGITS:
        raise PayloadError("the sender is not a phone number")
    return {
        **data,
        "from": number,
        "text": text,
        "id": identifier(data["id"], "id"),
        "timestamp": from_timestamp(data.get("timestamp")),
    }


@register_handler(Channel.SMS, "webhook")
def handle_sms(payload: InboundPayload) -> Inbound:
    data = check(bytes(payload.raw))
    number, text = data["from"], data["text"]
    if is_unsubscribe(text):
        set_subscription(Channel.SMS, number, False)
    raw = {**data, "timestamp": data["timestamp"].isoformat() if data["timestamp"] else None}
    return Inbound(
        channel=Channel.SMS,
        handle=Handle(Channel.SMS, number, handle=number),
        body=text,
        external_id=data["id"],
        raw_payload={"payload_id": payload.pk, **cap_extras(raw, SMS_FIELDS)},
        sent_at=data["timestamp"] or timezone.now(),
    )


class SmsProvider(Protocol):
    def send(self, to: str, text: str) -> str:
        """Send one segment; return the provider's message id."""


class HttpGatewayProvider:
    """The generic gateway: POST JSON {to, text} signed like its webhooks; answers {"id": …}."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url, key

    def send(self, to: str, text: str) -> str:
        body = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode()
        timestamp = str(int(timezone.now().timestamp()))
        request = urllib.request.Request(
            self.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Timestamp": timestamp,
                "X-Signature": sign(self.key, timestamp, body),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.loads(response.read().decode()).get("id", ""))


def provider() -> SmsProvider:
    gateway = conf.sms_gateway()
    if not gateway["url"]:
        raise RuntimeError("DABAI_SMS_GATEWAY_URL is not set")
    return HttpGatewayProvider(gateway["url"], gateway["key"] or conf.sms_secret())


def send_sms(
    to: str, text: str, sent: list[str] | None = None, progress: Callable[[list[str]], None] | None = None
) -> str:
    """Send the segments not yet sent (``sent`` holds their provider ids), reporting each via ``progress``.

    A retry after a failure half-way resumes at the first unsent segment, so nobody gets a segment twice.
    """
    sender = provider()
    ids = list(sent or [])
    for part in segments(text)[len(ids) :]:
        ids.append(sender.send(to, part) or "?")
        if progress is not None:
            progress(ids)
    return ",".join(ids)
