"""The API channel's door: customer messages from a channel of the integrator's own, with idempotency keys."""

import json
from typing import Annotated

from django.http import HttpRequest
from ninja import Header, Router, Status

from dabai.api import services
from dabai.api.auth import need
from dabai.api.errors import ApiError
from dabai.api.schemas import InboundIn, InboundOut, Text
from dabai.api.scopes import Scope
from dabai.api.views.common import responses
from dabai.channels.adapter import PayloadError
from dabai.channels.api.adapter import external_key
from dabai.channels.drain import drain_now
from dabai.channels.services import store_payload
from dabai.conversations.models import Message
from dabai.core.choices import Channel

router = Router(tags=["API channel"])

IdempotencyKey = Annotated[
    Text(min_length=1, max_length=200),
    Header(
        alias="Idempotency-Key", description="Your id for this message: the same key twice stores it once."
    ),
]


@router.post(
    "/inbound/messages",
    response=responses({201: InboundOut, 200: InboundOut}),
    summary="Bring a customer message",
)
def receive(request: HttpRequest, payload: InboundIn, idempotency_key: IdempotencyKey):
    """A customer wrote on a channel of yours: stored raw first, then as a message of the customer's
    conversation (opened if none is active), read by the filter, routed and timed like any other. Send an
    `Idempotency-Key`; a repeat answers `200` with the same message and `duplicate: true`. Replies reach you
    through the `message.sent` webhook. Scope `write:inbound`."""
    token = need(request, Scope.WRITE_INBOUND)
    key = idempotency_key.strip()
    existing = (
        Message.objects.filter(channel=Channel.API, external_id=external_key(payload.source, key))
        .select_related("conversation")
        .first()
    )
    if existing is not None:
        return Status(200, _out(existing, duplicate=True))
    document = payload.model_dump(mode="json")
    document["idempotency_key"] = key
    raw = json.dumps(document, ensure_ascii=True).encode()
    stored = store_payload(Channel.API, "api", raw, {"token": token.name})
    try:
        message = drain_now(stored)
    except PayloadError as refused:
        raise ApiError("bad_request", message=str(refused)) from None
    if message is None:  # the drain failed and the payload is in its retry chain: nothing is lost
        raise ApiError("internal_error")
    message = Message.objects.select_related("conversation").get(pk=message.pk)
    services.record_write(token, "inbound.message", message, {"source": payload.source, "key": key}, request)
    return Status(201, _out(message, duplicate=False))


def _out(message: Message, *, duplicate: bool) -> dict:
    return {
        "message_id": message.pk,
        "conversation_id": message.conversation_id,
        "customer_id": message.conversation.customer_id,
        "duplicate": duplicate,
    }
