"""One HTTP attempt of one delivery with httpx: the SSRF guard first, no redirects followed, a bounded
timeout, and at most a small snippet of the answer read."""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from dabai.webhooks.guard import UnsafeUrl, check_url, pinned

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SNIPPET_BYTES = 2048
MAX_RETRY_AFTER = 24 * 3600
KEPT_CLIENTS = 64  # receivers whose connections a worker keeps open between deliveries


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    snippet: str = ""
    error: str = ""
    retry_after: int | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def retry_after(value: str | None, now: datetime | None = None) -> int | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), capped at a day; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(int(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = int((when - (now or datetime.now(UTC))).total_seconds())
    return min(max(seconds, 0), MAX_RETRY_AFTER)


def post(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool) -> Outcome:
    try:
        address = check_url(url, allow_private=allow_private)
    except UnsafeUrl as refused:
        return Outcome(None, 0, error=f"refused: {refused}")
    url, host, extensions = pinned(url, address)
    started = time.monotonic()
    client = _client(url, host["Host"])
    try:
        with client.stream(
            "POST", url, content=body, headers={**headers, **host}, extensions=extensions
        ) as response:
            read = bytearray()
            for chunk in response.iter_bytes():
                read += chunk
                if len(read) >= SNIPPET_BYTES:
                    break
            latency = int((time.monotonic() - started) * 1000)
            return Outcome(
                response.status_code,
                latency,
                snippet=bytes(read[:SNIPPET_BYTES]).decode("utf-8", "replace"),
                retry_after=retry_after(response.headers.get("retry-after")),
            )
    except httpx.HTTPError as exc:
        latency = int((time.monotonic() - started) * 1000)
        return Outcome(None, latency, error=f"{type(exc).__name__}: {exc}"[:500])


_clients: OrderedDict[tuple[str, str], httpx.Client] = OrderedDict()
_clients_lock = threading.Lock()


def _client(pinned_url: str, host: str) -> httpx.Client:
    """A kept-alive client per receiver: a worker delivering thousands of events to one endpoint reuses its
    connections instead of a TCP (and TLS) handshake per event.

    Keyed by the checked address *and* the original host, so a connection opened for one host (its TLS server
    name and certificate) never carries another host's events, and an address that changes after the guard's
    next check gets a connection of its own. The least recently used client is closed beyond ``KEPT_CLIENTS``.
    """
    parts = urlsplit(pinned_url)
    key = (f"{parts.scheme}://{parts.netloc}", host)
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
        client = httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)
        _clients[key] = client
        while len(_clients) > KEPT_CLIENTS:
            _clients.popitem(last=False)[1].close()
        return client
