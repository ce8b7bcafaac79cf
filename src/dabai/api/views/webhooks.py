"""Webhook subscriptions through the API: endpoints, the delivery log, replays. Scope `admin`."""

from typing import Literal

from django.http import HttpRequest
from ninja import Router, Status

from dabai.api import services
from dabai.api.auth import need
from dabai.api.errors import ApiError, field_error
from dabai.api.schemas import (
    DeliveryPage,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPage,
    EndpointPatch,
    ReplayOut,
)
from dabai.api.scopes import Scope
from dabai.api.selectors import InvalidCursor, decode_cursor, encode_cursor
from dabai.api.views.common import Cursor, Limit, PathId, found, responses
from dabai.webhooks import selectors as webhook_selectors
from dabai.webhooks import services as webhook_services

router = Router(tags=["Webhooks"])


def _invalid(refused: Exception):
    return ApiError("validation_error", fields=[field_error("url", "invalid_endpoint", str(refused))])


def _page(rows, limit: int):
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor({"i": rows[-1].pk}) if more and rows else None


def _after(cursor: str | None) -> int | None:
    if not cursor:
        return None
    value = decode_cursor(cursor, {"i"})["i"]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise InvalidCursor(cursor)
    return value


@router.get("/webhooks/endpoints", response=responses({200: EndpointPage}), summary="List webhook endpoints")
def list_endpoints(request: HttpRequest, cursor: Cursor = None, limit: Limit = 25):
    """Scope `admin`."""
    need(request, Scope.ADMIN)
    rows, next_cursor = _page(webhook_selectors.endpoints(_after(cursor), limit + 1), limit)
    return {"items": [webhook_selectors.endpoint_out(e) for e in rows], "next_cursor": next_cursor}


@router.post(
    "/webhooks/endpoints", response=responses({201: EndpointCreated}), summary="Subscribe an endpoint"
)
def create_endpoint(request: HttpRequest, payload: EndpointIn):
    """A URL that receives the chosen events, signed per the Standard Webhooks spec with the secret in the
    answer. URLs that resolve to loopback, link-local or private addresses are refused (unless the centre's
    webhook settings allow them). Scope `admin`."""
    token = need(request, Scope.ADMIN)
    try:
        endpoint = webhook_services.create_endpoint(
            payload.name, payload.url, payload.events, actor=token.service_user
        )
    except webhook_services.InvalidEndpoint as refused:
        raise _invalid(refused) from None
    services.record_write(token, "webhooks.endpoint_created", endpoint, {"url": endpoint.url}, request)
    return Status(201, {**webhook_selectors.endpoint_out(endpoint), "secret": endpoint.secret})


@router.patch(
    "/webhooks/endpoints/{endpoint_id}", response=responses({200: EndpointOut}), summary="Change an endpoint"
)
def update_endpoint(request: HttpRequest, endpoint_id: PathId, payload: EndpointPatch):
    """Name, URL, events, or `is_active` (true enables a disabled endpoint again). Scope `admin`."""
    token = need(request, Scope.ADMIN)
    endpoint = found(webhook_selectors.endpoint(endpoint_id))
    try:
        webhook_services.update_endpoint(
            endpoint,
            actor=token.service_user,
            name=payload.name,
            url=payload.url,
            events=payload.events,
            is_active=payload.is_active,
        )
    except webhook_services.InvalidEndpoint as refused:
        raise _invalid(refused) from None
    services.record_write(token, "webhooks.endpoint_changed", endpoint, {}, request)
    return webhook_selectors.endpoint_out(found(webhook_selectors.endpoint(endpoint_id)))


@router.post(
    "/webhooks/endpoints/{endpoint_id}/rotate-secret",
    response=responses({200: EndpointCreated}),
    summary="Rotate an endpoint's secret",
)
def rotate_secret(request: HttpRequest, endpoint_id: PathId):
    """A new secret; the old one keeps signing beside it for a day. Scope `admin`."""
    token = need(request, Scope.ADMIN)
    endpoint = webhook_services.rotate_secret(
        found(webhook_selectors.endpoint(endpoint_id)), actor=token.service_user
    )
    services.record_write(token, "webhooks.secret_rotated", endpoint, {}, request)
    return {**webhook_selectors.endpoint_out(endpoint), "secret": endpoint.secret}


@router.get(
    "/webhooks/endpoints/{endpoint_id}/deliveries",
    response=responses({200: DeliveryPage}),
    summary="An endpoint's delivery log",
)
def list_deliveries(
    request: HttpRequest,
    endpoint_id: PathId,
    status: Literal["pending", "delivered", "failed"] | None = None,
    cursor: Cursor = None,
    limit: Limit = 25,
):
    """Newest first, each with every attempt (status, latency, a snippet of the answer). Scope `admin`."""
    need(request, Scope.ADMIN)
    endpoint = found(webhook_selectors.endpoint(endpoint_id))
    rows, next_cursor = _page(
        webhook_selectors.deliveries(endpoint, status or "", _after(cursor), limit + 1), limit
    )
    return {"items": [webhook_selectors.delivery_out(d) for d in rows], "next_cursor": next_cursor}


@router.post(
    "/webhooks/endpoints/{endpoint_id}/replay-failed",
    response=responses({200: ReplayOut}),
    summary="Replay an endpoint's failed deliveries",
)
def replay_failed(request: HttpRequest, endpoint_id: PathId):
    """Every failed delivery is sent again with its original webhook-id. Scope `admin`."""
    token = need(request, Scope.ADMIN)
    endpoint = found(webhook_selectors.endpoint(endpoint_id))
    queued = webhook_services.replay_failed(endpoint, actor=token.service_user)
    services.record_write(token, "webhooks.replay_failed", endpoint, {"queued": queued}, request)
    return {"queued": queued}


@router.post(
    "/webhooks/deliveries/{delivery_id}/replay",
    response=responses({200: ReplayOut}),
    summary="Replay a delivery",
)
def replay(request: HttpRequest, delivery_id: PathId):
    """Send one settled delivery again, with its original webhook-id. Scope `admin`."""
    token = need(request, Scope.ADMIN)
    delivery = found(webhook_selectors.delivery(delivery_id))
    queued = webhook_services.replay([delivery], actor=token.service_user)
    services.record_write(token, "webhooks.replay", delivery, {"queued": queued}, request)
    return {"queued": queued}
