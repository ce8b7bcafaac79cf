"""Text messages out through the SMS gateway: how SMS replies and hotline callers are answered.

Shared by the ``sms`` and ``phone`` adapters. Long replies go in 70-character segments; a retry after a
failure half-way resumes at the first unsent segment; 退订 is respected.
"""

import json
import urllib.request
from collections.abc import Callable
from typing import Protocol

from django.utils import timezone

from dabai.channels import conf
from dabai.channels.adapter import DeliveryResult, PermanentDeliveryError, customer_address
from dabai.channels.models import Delivery
from dabai.channels.services import is_subscribed
from dabai.channels.signing import sign
from dabai.conversations.models import Message
from dabai.core.choices import Channel

SEGMENT_LENGTH = 70


def segments(text: str, size: int = SEGMENT_LENGTH) -> list[str]:
    """Split a long reply into numbered-free 70-character pieces (Chinese SMS is 70 characters each)."""
    text = text.strip()
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


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


def send_text_reply(message: Message) -> DeliveryResult:
    """An agent reply by SMS to the customer's mobile number (from SMS or the hotline)."""
    number = customer_address(message, Channel.SMS, Channel.PHONE)
    if not is_subscribed(Channel.SMS, number):
        raise PermanentDeliveryError("the customer unsubscribed from SMS (退订)")
    if not conf.sms_gateway()["url"]:
        raise PermanentDeliveryError("no SMS gateway configured: call the customer back")
    delivery = Delivery.objects.filter(message=message).first()
    sent = [i for i in delivery.provider_id.split(",") if i] if delivery else []

    def progress(ids: list[str]) -> None:
        Delivery.objects.update_or_create(message=message, defaults={"provider_id": ",".join(ids)[:255]})

    return DeliveryResult(send_sms(number, message.body, sent, progress))
