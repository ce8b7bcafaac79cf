"""The API channel: customer messages from a channel dabai does not have, brought by an integrator.

The door is the REST API (``POST /api/v1/inbound/messages``, a token with ``write:inbound``), which stores the
request raw and drains it at once (the caller waits for the message id). Keys are scoped by the integrator's
``source`` name (``line``, ``app``…): the customer's handle is ``<source>:<their id>`` and the message's
channel id ``<source>:<Idempotency-Key>``, so the same key twice stores one message.

Replies on these conversations are handed to the integrator, who reads them from the ``message.sent``
webhook (or the messages endpoint) and delivers them on their side.
"""

from typing import Any

from django.utils import timezone

from dabai.channels.adapter import Adapter, DeliveryResult, PayloadError
from dabai.channels.models import InboundPayload
from dabai.channels.sanitise import clean_text, from_iso, identifier, load_json, one_line
from dabai.conversations.models import Message
from dabai.conversations.services import Inbound
from dabai.core.choices import Channel
from dabai.customers.services import Handle

MAX_TEXT = 20000


def external_key(source: str, key: str) -> str:
    """The stored channel id of a message (or a customer's handle): scoped by the integrator's source."""
    return f"{source}:{key}"


def check(raw: bytes) -> dict[str, Any]:
    data = load_json(raw)
    if not isinstance(data, dict) or not isinstance(data.get("customer"), dict):
        raise PayloadError("expected JSON with source, customer, text and idempotency_key")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise PayloadError("text must be non-empty text")
    customer = data["customer"]
    return {
        "source": identifier(data.get("source"), "source", max_length=40),
        "key": identifier(data.get("idempotency_key"), "idempotency_key"),
        "customer_id": identifier(customer.get("id"), "customer.id"),
        "name": one_line(str(customer.get("name") or ""))[:100],
        "handle": one_line(str(customer.get("handle") or ""))[:200],
        "text": clean_text(text).strip(),
        "subject": one_line(str(data.get("subject") or ""))[:255],
        "sent_at": from_iso(data.get("sent_at")),
        "new_conversation": data.get("new_conversation") is True,
    }


class ApiAdapter(Adapter):
    channel = Channel.API
    sources = ("api",)

    def check(self, raw: bytes, meta: dict[str, Any]) -> None:
        check(raw)

    def parse(self, payload: InboundPayload) -> list[Inbound]:
        data = check(bytes(payload.raw))
        source = data["source"]
        return [
            Inbound(
                channel=Channel.API,
                handle=Handle(
                    Channel.API,
                    external_key(source, data["customer_id"]),
                    display_name=data["name"],
                    handle=data["handle"],
                ),
                body=data["text"],
                external_id=external_key(source, data["key"]),
                raw_payload={"payload_id": payload.pk, "source": source},
                sent_at=data["sent_at"] or timezone.now(),
                subject=data["subject"],
                open_new=data["new_conversation"],
            )
        ]

    def send(self, message: Message) -> DeliveryResult:
        """Handed to the integrator: the ``message.sent`` webhook carries it to them."""
        return DeliveryResult(provider_id="api")


adapter = ApiAdapter()
