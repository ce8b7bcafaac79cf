"""State changes of the channels app: store a raw delivery, run its adapter's parser, record the outcome.

Every inbound path stores the raw bytes first (``store_payload``) and only then parses them, through the drain
(``dabai.channels.drain``): the adapter's ``parse`` gives ``Inbound`` items and ``receive_messages`` stores
them, a batch at a time. A parser crash leaves a ``failed`` payload that its retry chain processes again, so
nothing behind it is blocked and nothing acknowledged is lost.
"""

import hashlib
import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from dabai.channels.adapter import Adapter, Parsed, PayloadError, parses
from dabai.channels.models import Delivery, InboundPayload, PayloadStatus, SeenNonce, Subscription
from dabai.conversations.live import publish_conversation_event
from dabai.conversations.models import DeliveryStatus, Message
from dabai.conversations.services import Inbound, Received, receive_messages
from dabai.conversations.signals import delivery_changed
from dabai.core.bulk import update_rows

logger = logging.getLogger(__name__)

PAYLOAD_OUTCOME = ["status", "error", "message", "processed_at", "attempts"]


def store_payload(
    channel: str, source: str, raw: bytes, meta: dict[str, Any] | None = None
) -> InboundPayload:
    """Commit the delivery exactly as received before anything else looks at it (one INSERT, atomic alone)."""
    return InboundPayload.objects.create(channel=channel, source=source, raw=raw, meta=meta or {})


def store_rejected(channel: str, source: str, raw: bytes, reason: str) -> InboundPayload:
    """A delivery refused at the door is kept too, with why, for whoever runs the gateway to look at."""
    return InboundPayload.objects.create(
        channel=channel, source=source, raw=raw, status=PayloadStatus.REJECTED, error=reason[:2000]
    )


def process_payloads(payloads: list[InboundPayload], *, analyse: bool = True) -> list[list[Received]]:
    """Parse each payload with its adapter, store all parsed messages in one go, record each payload's fate.

    A payload whose parser fails is marked (``rejected`` for hopeless ones, ``failed`` to retry) without
    holding up the others; one whose message waits for another of the batch (``Parsed.refers``) is left
    ``received`` for the next batch. The result lines up with ``payloads``: what each one stored (nothing
    for events, rejected, failed or waiting payloads).
    """
    for payload in payloads:
        payload.attempts += 1
    parsed = _parse_all(payloads)
    _wait_for_earlier(payloads, parsed)
    items = [(index, item) for index, found in enumerate(parsed) if found for item in found]
    stored = _receive([item for _, item in items], analyse)
    outcomes: list[list[Received]] = [[] for _ in payloads]
    failures: dict[int, Exception] = {}
    for (index, _), received in zip(items, stored, strict=True):
        if isinstance(received, Exception):
            failures.setdefault(index, received)
        else:
            outcomes[index].append(received)
    for index, payload in enumerate(payloads):
        if index in failures:
            error = failures[index]
            _mark(payload, PayloadStatus.FAILED, error=f"{type(error).__name__}: {error}")
        elif parsed[index] is not None:
            first = outcomes[index][0].message if outcomes[index] else None
            _mark(payload, PayloadStatus.PROCESSED, message=first)
    update_rows(
        InboundPayload,
        PAYLOAD_OUTCOME,
        [(p.pk, p.status, p.error, p.message_id, p.processed_at, p.attempts) for p in payloads],
    )
    return outcomes


def _wait_for_earlier(payloads: list[InboundPayload], parsed: list[list[Inbound] | None]) -> None:
    """Leave for the next batch each payload whose messages refer to a name an earlier payload carries."""
    named: set[str] = set()
    for index, found in enumerate(parsed):
        if not found:
            continue
        if any(isinstance(item, Parsed) and item.refers & named for item in found):
            parsed[index] = None
            payloads[index].attempts -= 1
            payloads[index].status, payloads[index].processed_at = PayloadStatus.RECEIVED, None
            continue
        named.update(name for item in found if isinstance(item, Parsed) for name in item.names)


def _parse_all(payloads: list[InboundPayload]) -> list[list[Inbound] | None]:
    """All parsers in one savepoint, each adapter's payloads together; if one raises, one savepoint each.

    A savepoint per payload is two statements each; in a clean batch of two hundred that is most of the
    batch's round trips. Each adapter parses its share of the batch at once (``Adapter.parse_batch``: email
    resolves every sender and thread of the batch in a few queries). None marks a payload that was rejected
    or failed.
    """
    try:
        with transaction.atomic():
            return _parse_by_adapter(payloads)
    except Exception:
        logger.info("a payload in a batch of %d failed; parsing them one by one", len(payloads))
    return [_parse_one(payload) for payload in payloads]


def _parse_by_adapter(payloads: list[InboundPayload]) -> list[list[Inbound] | None]:
    shares: dict[int, tuple[Adapter, list[int]]] = {}
    for index, payload in enumerate(payloads):
        adapter = parses(payload)
        shares.setdefault(id(adapter), (adapter, []))[1].append(index)
    parsed: list[list[Inbound] | None] = [None] * len(payloads)
    for adapter, indexes in shares.values():
        found = adapter.parse_batch([payloads[i] for i in indexes])
        for index, items in zip(indexes, found, strict=True):
            parsed[index] = items
    return parsed


def _parse_one(payload: InboundPayload) -> list[Inbound] | None:
    try:
        with transaction.atomic():
            return parses(payload).parse(payload)
    except PayloadError as exc:
        logger.warning("rejected %s payload #%s: %s", payload.channel, payload.pk, exc)
        _mark(payload, PayloadStatus.REJECTED, error=str(exc))
    except Exception as exc:
        logger.exception("processing %s payload #%s failed; it will be retried", payload.channel, payload.pk)
        _mark(payload, PayloadStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
    return None


def _receive(items: list[Inbound], analyse: bool) -> list[Received | Exception]:
    """All parsed messages in one go; if that fails, one by one, so a bad one holds up nobody."""
    if not items:
        return []
    try:
        with transaction.atomic():
            return _stored(items, receive_messages(items, analyse=analyse))
    except Exception:
        logger.exception("storing %d parsed messages together failed; storing them one by one", len(items))
    results: list[Received | Exception] = []
    for item in items:
        try:
            with transaction.atomic():
                results.extend(_stored([item], receive_messages([item], analyse=analyse)))
        except Exception as exc:
            results.append(exc)
    return results


def _stored(items: list[Inbound], received: list[Received]) -> list[Received]:
    """What the channel keeps beside each new message (email headers, a call record), same transaction:
    the rows the ``keep`` hooks return go in together, one INSERT per table for the batch."""
    rows: dict[type[Model], list[Model]] = {}
    for item, result in zip(items, received, strict=True):
        if result.created and isinstance(item, Parsed) and item.keep is not None:
            for row in item.keep(result.message) or ():
                rows.setdefault(type(row), []).append(row)
    for model, kept in rows.items():
        model.objects.bulk_create(kept)
    return received


def _mark(payload: InboundPayload, status: str, *, message: Message | None = None, error: str = "") -> None:
    payload.status = status
    payload.error = error[:2000]
    payload.message = message
    payload.processed_at = timezone.now()


def claim_nonce(channel: str, timestamp: int, nonce: str, body: bytes) -> bool:
    """Remember a signed request's (timestamp, nonce); False if the pair came before with another body.

    The same body again is the sender retrying (it is stored once anyway); another body is a replay.
    """
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            SeenNonce.objects.create(channel=channel, timestamp=timestamp, nonce=nonce, digest=digest)
    except IntegrityError:
        return SeenNonce.objects.filter(
            channel=channel, timestamp=timestamp, nonce=nonce, digest=digest
        ).exists()
    return True


def forget_nonces(before: datetime) -> int:
    """Pairs seen before ``before`` can no longer be replayed (their timestamps are too old by now)."""
    return SeenNonce.objects.filter(seen_at__lt=before).delete()[0]


def set_delivery_status(
    message: Message, status: str, *, error: str = "", provider_id: str = "", attempt: bool = False
) -> None:
    """Record where a reply stands (queued / sent / failed) and tell the agent's open thread."""
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(delivery_status=status)
        message.delivery_status = status
        delivery, _ = Delivery.objects.get_or_create(message=message)
        if attempt:
            delivery.attempts += 1
        if status == DeliveryStatus.SENT:
            delivery.last_error = ""
        if error:
            delivery.last_error = error[:2000]
        if provider_id:
            delivery.provider_id = provider_id[:255]
        delivery.save()
        delivery_changed.send(sender=Message, message=message, status=status)
    publish_conversation_event(message.conversation_id, "message.delivery", message_id=message.pk)


def set_subscription(channel: str, external_id: str, subscribed: bool) -> Subscription:
    """Remember a follow/unfollow or an SMS 退订 so we stop sending to people who asked us to."""
    subscription, _ = Subscription.objects.update_or_create(
        channel=channel, external_id=external_id, defaults={"subscribed": subscribed}
    )
    return subscription


def is_subscribed(channel: str, external_id: str) -> bool:
    return not Subscription.objects.filter(
        channel=channel, external_id=external_id, subscribed=False
    ).exists()
