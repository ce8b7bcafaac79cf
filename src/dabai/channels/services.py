"""State changes of the channels app: store a raw delivery, process it, record delivery state.

Every inbound path runs ``ingest``: the raw bytes are committed first, then parsed by the channel's handler;
a handler crash leaves a ``failed`` payload that a task processes again, so nothing behind it is blocked.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from dabai.channels.models import Delivery, InboundPayload, PayloadStatus, Subscription
from dabai.conversations.live import publish_conversation_event
from dabai.conversations.models import DeliveryStatus, Message

logger = logging.getLogger(__name__)

Handler = Callable[[InboundPayload], Message | None]
HANDLERS: dict[tuple[str, str], Handler] = {}


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
    """Commit the delivery exactly as received before anything else looks at it."""
    with transaction.atomic():
        return InboundPayload.objects.create(channel=channel, source=source, raw=raw, meta=meta or {})


def process_payload(payload: InboundPayload) -> Message | None:
    """Run the channel's handler on a stored payload; raises PayloadError for hopeless ones."""
    handler = HANDLERS[(payload.channel, payload.source)]
    payload.attempts += 1
    try:
        with transaction.atomic():
            message = handler(payload)
    except PayloadError as exc:
        _finish(payload, PayloadStatus.REJECTED, None, str(exc))
        logger.warning("rejected %s payload #%s: %s", payload.channel, payload.pk, exc)
        raise
    except Exception as exc:
        _finish(payload, PayloadStatus.FAILED, None, f"{type(exc).__name__}: {exc}")
        raise
    _finish(payload, PayloadStatus.PROCESSED, message, "")
    return message


def _finish(payload: InboundPayload, status: str, message: Message | None, error: str) -> None:
    payload.status = status
    payload.error = error[:2000]
    payload.message = message
    payload.processed_at = timezone.now()
    payload.save(update_fields=["status", "error", "message", "processed_at", "attempts"])


def ingest(channel: str, source: str, raw: bytes, meta: dict[str, Any] | None = None) -> Message | None:
    """Store, then process; an unexpected failure is retried by a task and reported as accepted."""
    from dabai.channels.tasks import reprocess_payload

    payload = store_payload(channel, source, raw, meta)
    try:
        return process_payload(payload)
    except PayloadError:
        raise
    except Exception:
        logger.exception("processing %s payload #%s failed; retrying in the background", channel, payload.pk)
        reprocess_payload.enqueue(payload.pk)
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
