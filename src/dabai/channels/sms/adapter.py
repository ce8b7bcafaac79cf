"""The SMS adapter: a generic HMAC-signed gateway's webhook in, 70-character segments out, 退订 respected."""

from typing import Any

from django.utils import timezone

from dabai.channels import conf
from dabai.channels.adapter import Adapter, DeliveryResult, PayloadError
from dabai.channels.models import InboundPayload
from dabai.channels.sanitise import (
    MAX_NUMBER_DIGITS,
    cap_extras,
    from_timestamp,
    identifier,
    load_json,
    normalise_phone,
    text_of,
)
from dabai.channels.services import set_subscription
from dabai.channels.texting import send_text_reply
from dabai.conversations.models import Message
from dabai.conversations.services import Inbound
from dabai.core.choices import Channel
from dabai.customers.services import Handle

UNSUBSCRIBE_WORDS = {"退订", "TD", "T", "取消", "UNSUBSCRIBE", "STOP"}
SMS_FIELDS = {"from", "to", "text", "id", "timestamp"}


def is_unsubscribe(text: str) -> bool:
    return text.strip().upper() in UNSUBSCRIBE_WORDS


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


class SmsAdapter(Adapter):
    channel = Channel.SMS

    def secret(self) -> str:
        return conf.sms_secret()

    def check(self, raw: bytes, meta: dict[str, Any]) -> None:
        check(raw)

    def parse(self, payload: InboundPayload) -> list[Inbound]:
        data = check(bytes(payload.raw))
        number, text = data["from"], data["text"]
        if is_unsubscribe(text):
            set_subscription(Channel.SMS, number, False)
        raw = {**data, "timestamp": data["timestamp"].isoformat() if data["timestamp"] else None}
        return [
            Inbound(
                channel=Channel.SMS,
                handle=Handle(Channel.SMS, number, handle=number),
                body=text,
                external_id=data["id"],
                raw_payload={"payload_id": payload.pk, **cap_extras(raw, SMS_FIELDS)},
                sent_at=data["timestamp"] or timezone.now(),
            )
        ]

    def send(self, message: Message) -> DeliveryResult:
        return send_text_reply(message)


adapter = SmsAdapter()
