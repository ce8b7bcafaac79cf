"""The doors every adapter shares: a size limit read before the body, the HMAC signature over the exact
body, the adapter's shape check, and a clear 4xx (with one log line, and the refused body kept) otherwise.

A delivery that passes is stored raw and acknowledged (202); the drain does the rest.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dabai.channels import conf
from dabai.channels.adapter import Adapter, PayloadError
from dabai.channels.drain import accept_payload
from dabai.channels.services import store_rejected
from dabai.channels.signing import signature_valid
from dabai.core.asgi import door

logger = logging.getLogger(__name__)


def reject(request: HttpRequest, status: int, reason: str) -> JsonResponse:
    logger.warning(
        "rejected %s %s from %s: %s", request.method, request.path, request.META.get("REMOTE_ADDR"), reason
    )
    return JsonResponse({"status": "rejected", "error": reason}, status=status)


def read_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is larger than we accept (checked before reading it)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length > conf.max_payload_bytes():
        return None
    body = request.read(conf.max_payload_bytes() + 1)
    return None if len(body) > conf.max_payload_bytes() else body


def signed(adapter: Adapter) -> Callable:
    """A CSRF-exempt POST endpoint that only runs with a fresh HMAC signature over the exact body."""

    def decorator(view: Callable) -> Callable:
        @door
        @csrf_exempt
        @require_POST
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            body = read_body(request)
            if body is None:
                return reject(request, 413, "payload too large")
            timestamp = request.headers.get("X-Timestamp", "")
            if not signature_valid(adapter.secret(), timestamp, request.headers.get("X-Signature", ""), body):
                return reject(request, 401, "missing or invalid signature")
            return view(request, body)

        return wrapper

    return decorator


def accept(
    request: HttpRequest, adapter: Adapter, source: str, body: bytes, meta: dict[str, Any] | None = None
) -> HttpResponse:
    """Shape-check, store raw, acknowledge: 202 with the payload's id, or 400 (the body kept as rejected)."""
    meta = meta or {}
    try:
        adapter.check(body, meta)
    except PayloadError as exc:
        store_rejected(adapter.channel, source, body, str(exc))
        return reject(request, 400, str(exc))
    payload = accept_payload(adapter.channel, source, body, meta)
    return JsonResponse({"status": "accepted", "payload_id": payload.pk}, status=202)


def webhook(adapter: Adapter, source: str = "webhook", meta: Callable[[HttpRequest], dict] | None = None):
    """The whole door of a signed webhook that needs nothing of its own."""

    @signed(adapter)
    def view(request: HttpRequest, body: bytes) -> HttpResponse:
        return accept(request, adapter, source, body, meta(request) if meta else {})

    view.__doc__ = f"Signed {adapter.channel} webhook: checked, stored raw, acknowledged; drained after."
    return view
