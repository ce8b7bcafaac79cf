"""State changes of the channels app: store a raw delivery, process it, record delivery state.

Every inbound path stores the raw bytes first. Busy gateways (SMS) are acknowledged right then
(``accept_payload``) and a drain task processes what arrived in batches: a few queries per batch instead of
dozens per message. Other paths ``ingest`` at once. Either way a handler crash leaves a ``failed`` payload
that a task processes again, so nothing behind it is blocked.
"""

import hashlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.channels.models import (
    Delivery,
    DrainRequest,
    InboundPayload,
    PayloadStatus,
    SeenNonce,
    Subscription,
)
from dabai.conversations.live import publish_conversation_event
from dabai.conversations.models import DeliveryStatus, Message
from dabai.conversations.services import Inbound, Received, read_messages, receive_messages
from dabai.core.bulk import update_rows
from dabai.core.tasking import RETRY_DELAYS_SECONDS, enqueue_on_commit, retry_later

logger = logging.getLogger(__name__)

# A handler turns one raw payload into a parsed ``Inbound`` (stored with the rest of its batch) or stores
# what it needs itself and returns the Message (email threading, call records), or None (events).
Handler = Callable[[InboundPayload], Message | Inbound | None]
HANDLERS: dict[tuple[str, str], Handler] = {}
DRAIN_STALE_AFTER = timedelta(seconds=60)
PAYLOAD_OUTCOME = ["status", "error", "message", "processed_at", "attempts"]
# Items split from one bulk delivery (a Weibo push of thousands of statuses) share each drain batch with
# everything else: at most BULK_SHARE of them per batch, so an SMS arriving behind them waits one batch.
BULK_SOURCES = ("push-item",)
BULK_SHARE = 50


class PayloadError(ValueError):
    """The payload can never be processed (malformed, wrong shape): answered with a 4xx, kept as rejected."""


class PermanentDeliveryError(RuntimeError):
    """A reply that no retry will deliver (unsubscribed, no address): marked failed at once."""


def register_handler(channel: str, source: str) -> Callable[[Handler], Handler]:
    """Declare the function that turns one raw payload of ``channel``/``source`` into a stored message."""

    def decorator(func: Handler) -> Handler:
        HANDLERS[(channel, source)] = func
        return func

    return decorator


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


def accept_payload(
    channel: str, source: str, raw: bytes, meta: dict[str, Any] | None = None
) -> InboundPayload:
    """Store the delivery and leave the rest to the drain: the sender has its answer within milliseconds."""
    payload = store_payload(channel, source, raw, meta)
    request_drain()
    return payload


def request_drain() -> bool:
    """Queue one drain task unless one is queued already (or the queued one is so old it must have been lost).

    One statement, whatever the burst: an upsert that only writes (and returns a row) when no fresh request
    exists. The task is enqueued after commit, so it always finds the payload that asked for it.
    """
    from dabai.channels.tasks import drain_inbound

    now = timezone.now()
    table = connection.ops.quote_name(DrainRequest._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, queued_at) VALUES (1, %s) ON CONFLICT (id) DO UPDATE "
            f"SET queued_at = excluded.queued_at WHERE {table}.queued_at < %s RETURNING id",
            [adapt(now), adapt(now - DRAIN_STALE_AFTER)],
        )
        queued = cursor.fetchone() is not None
    if queued:
        enqueue_on_commit(drain_inbound)
    return queued


def drain_started() -> None:
    """The drain runs now: payloads arriving from here on ask for the next one."""
    DrainRequest.objects.all().delete()


def drain_batch(limit: int) -> int:
    """Process up to ``limit`` received payloads together, then let the filter read their messages together.

    Returns how many payloads were claimed. Claiming skips rows another worker holds, so several workers
    can drain side by side. Items of a bulk delivery take at most ``BULK_SHARE`` places of a batch. A crash
    after the commit leaves messages without insights; the sweep reads them.
    """
    with transaction.atomic():
        claimable = (
            InboundPayload.objects.select_for_update(skip_locked=True)
            .filter(status=PayloadStatus.RECEIVED)
            .order_by("received_at", "pk")
        )
        bulk = list(claimable.filter(source__in=BULK_SOURCES)[: min(limit, BULK_SHARE)])
        payloads = [*claimable.exclude(source__in=BULK_SOURCES)[: limit - len(bulk)], *bulk]
        results = process_payloads(payloads, analyse=False)
    for payload in payloads:
        if payload.status == PayloadStatus.FAILED:
            schedule_retry(payload)
    created = [r.message for r in results if isinstance(r, Received) and r.created]
    if created:
        _read_now_or_later(created)
    return len(payloads)


def more_to_drain() -> bool:
    return InboundPayload.objects.filter(status=PayloadStatus.RECEIVED).exists()


def schedule_retry(payload: InboundPayload) -> None:
    """Continue the payload's one retry chain: its next attempt after the back-off, or the dead letter.

    ``payload.attempts`` counts the attempts made; the chain's next link carries that number, so a second
    link for the same attempt (a sweep re-asked meanwhile) finds the attempt made and does nothing.
    """
    from dabai.channels.tasks import reprocess_payload

    made = payload.attempts
    if retry_later(reprocess_payload, made - 1, payload.pk):
        payload.next_attempt_at = timezone.now() + timedelta(seconds=RETRY_DELAYS_SECONDS[made - 1])
    else:
        logger.error("gave up on %s payload #%s after %d attempts", payload.channel, payload.pk, made)
        payload.status, payload.next_attempt_at = PayloadStatus.DEAD, None
    InboundPayload.objects.filter(pk=payload.pk).update(
        status=payload.status, next_attempt_at=payload.next_attempt_at
    )


def lost_retries(overdue_before: datetime, limit: int) -> list[InboundPayload]:
    """Failed payloads whose next attempt is long overdue (its task died with a worker): asked for again.

    Payloads with a pending retry are left alone, so the sweep never starts a second chain.
    """
    from django.db.models import Q

    from dabai.channels.tasks import reprocess_payload

    lost = list(
        InboundPayload.objects.filter(status=PayloadStatus.FAILED)
        .filter(Q(next_attempt_at__lt=overdue_before) | Q(next_attempt_at__isnull=True))
        .only("pk", "attempts")[:limit]
    )
    for payload in lost:
        reprocess_payload.enqueue(payload.pk, attempt=payload.attempts)
    InboundPayload.objects.filter(pk__in=[p.pk for p in lost]).update(next_attempt_at=timezone.now())
    return lost


def requeue_payloads(payloads: Iterable[InboundPayload], actor: User | None) -> int:
    """An admin sends dead letters (or failed payloads) through the drain again, with a fresh retry chain."""
    requeued = 0
    for payload in payloads:
        if payload.status not in {PayloadStatus.DEAD, PayloadStatus.FAILED}:
            continue
        record_audit(
            actor, "payload.retry", payload, {"status": payload.status, "attempts": payload.attempts}
        )
        requeued += InboundPayload.objects.filter(pk=payload.pk, status=payload.status).update(
            status=PayloadStatus.RECEIVED, attempts=0, next_attempt_at=None
        )
    if requeued:
        request_drain()
    return requeued


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


def _read_now_or_later(messages: list[Message]) -> None:
    from dabai.conversations.tasks import analyse_messages

    try:
        read_messages(messages)
    except Exception:
        logger.exception("reading %d drained messages failed; queued for retry", len(messages))
        analyse_messages.enqueue([m.pk for m in messages])


Outcome = Received | Message | None


def process_payloads(payloads: list[InboundPayload], *, analyse: bool = True) -> list[Outcome]:
    """Run each payload's handler, store every parsed message in one go, record each payload's fate.

    A payload whose handler fails is marked (``rejected`` for hopeless ones, ``failed`` to retry) without
    holding up the others. The outcomes line up with ``payloads`` (None for rejected or failed ones).
    """
    outcomes: list[Outcome] = []
    parsed: list[tuple[int, Inbound]] = []
    for payload in payloads:
        payload.attempts += 1
    for index, outcome in enumerate(_run_handlers(payloads)):
        if isinstance(outcome, Inbound):
            parsed.append((index, outcome))
            outcome = None
        outcomes.append(outcome)
    for (index, _), received in zip(parsed, _receive([p for _, p in parsed], analyse), strict=True):
        if isinstance(received, Exception):
            _mark(payloads[index], PayloadStatus.FAILED, error=f"{type(received).__name__}: {received}")
        else:
            outcomes[index] = received
            _mark(payloads[index], PayloadStatus.PROCESSED, message=received.message)
    update_rows(
        InboundPayload,
        PAYLOAD_OUTCOME,
        [(p.pk, p.status, p.error, p.message_id, p.processed_at, p.attempts) for p in payloads],
    )
    return outcomes


def _run_handlers(payloads: list[InboundPayload]) -> list[Outcome | Inbound]:
    """All handlers in one savepoint; only if one of them raises, again one savepoint each.

    A savepoint per payload is two statements each; in a clean batch of two hundred that is most of the
    batch's round trips.
    """
    try:
        with transaction.atomic():
            return [
                _handled(payload, HANDLERS[(payload.channel, payload.source)](payload))
                for payload in payloads
            ]
    except Exception:
        logger.info("a payload in a batch of %d failed; handling them one by one", len(payloads))
    return [_run_handler(payload) for payload in payloads]


def _handled(payload: InboundPayload, result: Message | Inbound | None) -> Outcome | Inbound:
    if not isinstance(result, Inbound):
        _mark(payload, PayloadStatus.PROCESSED, message=result)
    return result


def _run_handler(payload: InboundPayload) -> Outcome | Inbound:
    handler = HANDLERS[(payload.channel, payload.source)]
    try:
        with transaction.atomic():
            result = handler(payload)
    except PayloadError as exc:
        logger.warning("rejected %s payload #%s: %s", payload.channel, payload.pk, exc)
        _mark(payload, PayloadStatus.REJECTED, error=str(exc))
        return None
    except Exception as exc:
        logger.exception("processing %s payload #%s failed; it will be retried", payload.channel, payload.pk)
        _mark(payload, PayloadStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        return None
    return _handled(payload, result)


def _receive(items: list[Inbound], analyse: bool) -> list[Received | Exception]:
    """All parsed messages in one go; if that fails, one by one, so a bad one holds up nobody."""
    if not items:
        return []
    try:
        with transaction.atomic():
            return list(receive_messages(items, analyse=analyse))
    except Exception:
        logger.exception("storing %d parsed messages together failed; storing them one by one", len(items))
    results: list[Received | Exception] = []
    for item in items:
        try:
            with transaction.atomic():
                results.append(receive_messages([item], analyse=analyse)[0])
        except Exception as exc:
            results.append(exc)
    return results


def _mark(payload: InboundPayload, status: str, *, message: Message | None = None, error: str = "") -> None:
    payload.status = status
    payload.error = error[:2000]
    payload.message = message
    payload.processed_at = timezone.now()


def process_payload(payload: InboundPayload) -> Message | None:
    """Process one stored payload now; raises PayloadError for a hopeless one, RuntimeError to retry."""
    outcome = process_payloads([payload])[0]
    if payload.status == PayloadStatus.REJECTED:
        raise PayloadError(payload.error)
    if payload.status == PayloadStatus.FAILED:
        raise RuntimeError(payload.error)
    return outcome.message if isinstance(outcome, Received) else outcome


def ingest(channel: str, source: str, raw: bytes, meta: dict[str, Any] | None = None) -> Message | None:
    """Store, then process at once; an unexpected failure is retried by a task and reported as accepted."""
    payload = store_payload(channel, source, raw, meta)
    try:
        return process_payload(payload)
    except PayloadError:
        raise
    except Exception:
        schedule_retry(payload)
        return None


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
