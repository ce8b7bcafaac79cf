"""One HTTP attempt of one delivery with httpx: the SSRF guard first, no redirects followed, a bounded
timeout, and at most a small snippet of the answer read."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from dabai.webhooks.guard import UnsafeUrl, check_url, pinned

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SNIPPET_BYTES = 2048
MAX_RETRY_AFTER = 24 * 3600


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
    try:
        with (
            httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST", url, content=body, headers={**headers, **host}, extensions=extensions
            ) as response,
        ):
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
