"""Reading the fields of a real message defensively: a bad field is dropped or coerced, never the words.

Shape checks at the door answer 4xx for things that are not a message at all (``PayloadError``); these
helpers are for the fields of a message that is worth keeping: an impossible date becomes "now", a number
where text belongs becomes its digits, an attachment name loses its path, unknown extras are capped.
"""

import json
import math
import posixpath
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dabai.channels.adapter import PayloadError

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
MAX_ID_LENGTH = 200
EXTRA_FIELDS = 50
EXTRA_BYTES = 8 * 1024
MAX_DEPTH = 8
MAX_NUMBER_DIGITS = 20
LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def load_json(raw: bytes | str) -> Any:
    """The JSON document, or PayloadError for anything a parser chokes on (syntax, 100k-deep nesting)."""
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise PayloadError("JSON nested too deeply") from exc
    except ValueError as exc:
        raise PayloadError(f"malformed JSON: {exc}") from exc


def clean_text(value: str) -> str:
    """Text the database can store: no NUL characters, no lone surrogates."""
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


def one_line(value: str) -> str:
    """A header-safe line: CR, LF and other control characters become single spaces."""
    return LINE_BREAKS.sub(" ", clean_text(value)).strip()


def text_of(value: Any) -> str | None:
    """Words from a text field: strings as they are, numbers as their digits; None for anything else."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def identifier(value: Any, name: str, *, required: bool = True, max_length: int = MAX_ID_LENGTH) -> str:
    """An id the sender gave (a string or an integer); PayloadError if it is missing or not an id."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        if not required and value is None:
            return ""
        raise PayloadError(f"{name} must be a string or an integer")
    text = clean_text(str(value)).strip()
    if required and not text:
        raise PayloadError(f"{name} is empty")
    if len(text) > max_length:
        raise PayloadError(f"{name} is longer than {max_length} characters")
    return text


def number(value: Any, *, low: float = 0, high: float = 10**7) -> float | None:
    """A finite number within bounds from a number or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    try:
        value = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def plausible(moment: datetime | None) -> datetime | None:
    """The moment if a message could have been sent then (this century, not tomorrow); else None."""
    if moment is None:
        return None
    if timezone.is_naive(moment):
        try:
            moment = timezone.make_aware(moment)
        except (ValueError, OverflowError):
            return None
    return moment if EARLIEST <= moment <= timezone.now() + FUTURE_SLACK else None


def from_timestamp(value: Any) -> datetime | None:
    """A Unix timestamp in seconds (number or digits), None when it is not a plausible sending time."""
    seconds = number(value, low=EARLIEST.timestamp(), high=(timezone.now() + FUTURE_SLACK).timestamp())
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


def from_iso(value: Any) -> datetime | None:
    """An ISO 8601 date-time string, None when malformed, impossible ("2026-13-45") or implausible."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return plausible(parse_datetime(value.strip()))
    except (ValueError, OverflowError):
        return None


def base_name(name: str, default: str = "attachment") -> str:
    """An attachment's own name without any path (``../x``, ``/etc/passwd``, ``..\\boot.ini``)."""
    name = one_line(name).replace("\\", "/")
    name = posixpath.basename(name).strip().lstrip(".")
    return name[-100:] or default


def bounded(value: Any, budget: list[int], depth: int = 0) -> Any:
    """A copy of a JSON value that the database can store, spending at most ``budget[0]`` characters."""
    if budget[0] <= 0 or depth > MAX_DEPTH:
        raise OverflowError
    if isinstance(value, str):
        value = clean_text(value[: budget[0]])
        budget[0] -= len(value) + 2
        return value
    if isinstance(value, float) and not math.isfinite(value):
        budget[0] -= 4
        return None
    if value is None or isinstance(value, bool | int | float):
        budget[0] -= 8
        return value
    if isinstance(value, list):
        return [bounded(item, budget, depth + 1) for item in value]
    if isinstance(value, dict):
        return {bounded(str(k), budget, depth + 1): bounded(v, budget, depth + 1) for k, v in value.items()}
    return None


def cap_extras(data: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """The known fields in full plus the first few small unknown ones; the rest are counted, not copied.

    A sender can pad a payload with 200,000 extra fields: they are not copied into every message's
    ``raw_payload`` (the raw delivery itself stays on the payload row as evidence).
    """
    kept: dict[str, Any] = {}
    dropped = 0
    budget = [EXTRA_BYTES]
    for key, value in data.items():
        if key in known:
            try:
                kept[key] = bounded(value, [EXTRA_BYTES])
            except OverflowError:
                dropped += 1
            continue
        if len(kept) - len(known & kept.keys()) >= EXTRA_FIELDS:
            dropped += 1
            continue
        spare = budget[0]
        try:
            kept[clean_text(str(key))[:100]] = bounded(value, budget)
        except OverflowError:
            budget[0] = spare
            dropped += 1
    if dropped:
        kept["dropped_fields"] = dropped
    return kept


def normalise_phone(number: str) -> str:
    """One form per mobile number (+86 and spaces dropped), so the same phone is one customer on SMS and
    the hotline."""
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits
