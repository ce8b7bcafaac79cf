"""Reads of webhooks: endpoints and the delivery log, for the admin and the API."""

from typing import Any

from django.db.models import QuerySet

from dabai.webhooks.models import Delivery, Endpoint


def endpoints(after: int | None, limit: int) -> list[Endpoint]:
    qs = Endpoint.objects.order_by("-pk")
    if after is not None:
        qs = qs.filter(pk__lt=after)
    return list(qs[:limit])


def endpoint(pk: int) -> Endpoint | None:
    return Endpoint.objects.filter(pk=pk).first()


def endpoint_out(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "name": endpoint.name,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "is_active": endpoint.is_active,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        "created_at": endpoint.created_at,
    }


def deliveries(endpoint: Endpoint, status: str, after: int | None, limit: int) -> list[Delivery]:
    qs: QuerySet[Delivery] = (
        Delivery.objects.filter(endpoint=endpoint).select_related("event").prefetch_related("attempt_log")
    )
    if status:
        qs = qs.filter(status=status)
    if after is not None:
        qs = qs.filter(pk__lt=after)
    return list(qs.order_by("-pk")[:limit])


def delivery(pk: int) -> Delivery | None:
    return Delivery.objects.select_related("endpoint").filter(pk=pk).first()


def delivery_out(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "event_id": delivery.event.uid,
        "event_type": delivery.event.type,
        "conversation_id": delivery.conversation_id,
        "sequence": delivery.sequence,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at,
        "attempt_log": [
            {
                "number": a.number,
                "at": a.at,
                "status_code": a.status_code,
                "latency_ms": a.latency_ms,
                "retry_after_seconds": a.retry_after_seconds,
                "error": a.error,
                "response_snippet": a.response_snippet,
            }
            for a in delivery.attempt_log.all()
        ],
    }
