"""Reading an import file and checking its rows: what each row stores, or what is wrong with it (by line)."""

import csv
import hashlib
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DataError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dabai.channels.models import ImportJob
from dabai.channels.sanitise import EXTRA_BYTES, cap_extras, clean_text
from dabai.conversations.models import Direction, Status
from dabai.conversations.services.history import PastMessage
from dabai.core.choices import Channel
from dabai.customers.services import SHARED_HANDLES, Handle

MAX_KEY_LENGTH = 200

HISTORY_STARTS = datetime(1970, 1, 1, tzinfo=UTC)

COLUMNS = {
    "conversation",
    "channel",
    "customer",
    "customer_name",
    "direction",
    "body",
    "sent_at",
    "message_id",
    "subject",
    "status",
}

DIRECTIONS = {
    "inbound": Direction.INBOUND,
    "in": Direction.INBOUND,
    "customer": Direction.INBOUND,
    "outbound": Direction.OUTBOUND,
    "out": Direction.OUTBOUND,
    "agent": Direction.OUTBOUND,
}

# Enum ``values`` is rebuilt on every access: a million rows asked it two million times.
CHANNELS = frozenset(Channel.values)

STATUSES = frozenset(Status.values)


class RowError(ValueError):
    pass


# What a bad row can raise besides RowError (an impossible date, a lone surrogate, a field longer than its
# column): reported with its line number, the import goes on. Anything else (the database gone) is retried.
BAD_ROW = (RowError, ValueError, OverflowError, UnicodeError, RecursionError, DataError)


def rows(job: ImportJob) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row) pairs; a row that cannot even be read is yielded as an error string."""
    with job.source.open("rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
        if job.format == "csv":
            yield from _csv_rows(csv.DictReader(text))
            return
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError as exc:
                yield number, f"invalid JSON: {getattr(exc, 'msg', exc)}"
                continue
            except RecursionError:
                yield number, "invalid JSON: nested too deeply"
                continue
            yield number, data if isinstance(data, dict) else "each line must be a JSON object"


def _csv_rows(reader: csv.DictReader) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """CSV rows; a row the reader refuses (a field beyond the csv module's limit) becomes an error."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, f"unreadable CSV row: {exc}"
            continue
        yield reader.line_num, row


@dataclass(frozen=True)
class Row:
    """One checked row: what to store, and where it came from (its line, for the error report)."""

    line: int
    key: str  # the old helpdesk's conversation, scoped by channel
    handle: Handle
    message: PastMessage
    subject: str
    status: str

    @property
    def channel(self) -> str:
        return self.handle.channel


def shard_of(row: dict[str, Any] | str, line: int, count: int) -> int:
    """Which shard imports a row: by its channel (SMS and the hotline as one: a mobile number is one customer
    on both) and customer, as ``parse_row`` reads them; an unreadable row by its position."""
    if count == 1:
        return 0
    if isinstance(row, str):
        return line % count
    channel = _key(row.get("channel"))
    channel = min([channel, *(other.encode() for other in SHARED_HANDLES.get(channel.decode(), ()))])
    return zlib.crc32(channel + b"\x1f" + _key(row.get("customer"))) % count


def _key(value: Any) -> bytes:
    """A field as ``parse_row`` reads it (cleaned, stripped), encoded; the cleaning only where needed."""
    if not value:
        return b""
    text = value if type(value) is str else str(value)
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        return text.strip().encode()
    except UnicodeEncodeError:
        return clean_text(text).strip().encode()


def parse_row(line: int, row: dict[str, Any] | str, *, now: datetime | None = None) -> Row:
    """Check one row and turn it into what the writer stores (RowError says what is wrong); ``now`` (once per
    chunk) bounds the dates."""
    if isinstance(row, str):
        raise RowError(row)
    clean = _is_clean(row)
    text = _plain if clean else _text
    channel = _required(text(row, "channel"), "channel")
    if channel not in CHANNELS:
        raise RowError(f"unknown channel {channel!r}")
    direction = DIRECTIONS.get(_required(text(row, "direction"), "direction").lower())
    if direction is None:
        raise RowError("direction must be inbound or outbound")
    body = _required(text(row, "body"), "body")
    sent_at = _sent_at(text(row, "sent_at"), now or timezone.now())
    key = _required(text(row, "conversation"), "conversation", MAX_KEY_LENGTH)
    handle = Handle(
        channel,
        _required(text(row, "customer"), "customer", MAX_KEY_LENGTH),
        display_name=text(row, "customer_name")[:100],
    )
    status = text(row, "status") or Status.CLOSED
    if status not in STATUSES:
        raise RowError(f"unknown status {status!r}")
    digest = hashlib.sha256(f"{key}|{direction}|{sent_at.isoformat()}|{body}".encode()).hexdigest()[:32]
    message_id = text(row, "message_id")
    if len(message_id) > MAX_KEY_LENGTH:
        raise RowError(f"message_id is longer than {MAX_KEY_LENGTH} characters")
    message = PastMessage(
        direction=direction,
        body=body,
        sent_at=sent_at,
        external_id=f"import:{message_id or digest}",
        raw_payload={"import": _as_stored(row, clean)},
    )
    subject = text(row, "subject")[:255]
    return Row(line, f"{channel}:{key}", handle, message, subject, status)


def _is_clean(row: dict[str, Any]) -> bool:
    """Whether every value is text the database stores as it is (no NUL, no lone surrogate): one check for
    the whole row, which nearly every row passes, instead of one per field and again for the stored copy."""
    values = row.values()
    if not all(type(value) is str for value in values):
        return False
    joined = "".join(values)
    if "\x00" in joined:
        return False
    try:
        joined.encode()
    except UnicodeEncodeError:
        return False
    return True


def _as_stored(row: dict[str, Any], clean: bool) -> dict[str, Any]:
    """The row as its message keeps it (``cap_extras``); a clean row of known columns only, as nearly every
    row is, takes the short way to the same result (each value cut to the cap)."""
    if clean and COLUMNS.issuperset(row):
        return {name: value[:EXTRA_BYTES] for name, value in row.items()}
    return cap_extras(row, COLUMNS)


def _plain(row: dict[str, Any], name: str) -> str:
    """A field of a clean row (``_is_clean``), stripped; empty when missing."""
    value = row.get(name)
    return value.strip() if value else ""


def _text(row: dict[str, Any], name: str) -> str:
    """A field as text, cleaned and stripped; empty when missing (most optional columns are)."""
    value = row.get(name)
    if not value:
        return ""
    return clean_text(value if type(value) is str else str(value)).strip()


def _required(value: str, name: str, max_length: int = 0) -> str:
    if not value:
        raise RowError(f"missing {name}")
    if max_length and len(value) > max_length:
        raise RowError(f"{name} is longer than {max_length} characters")
    return value


def _sent_at(value: str, now: datetime) -> datetime:
    try:
        sent_at = parse_datetime(value)
        if sent_at is not None and timezone.is_naive(sent_at):
            sent_at = timezone.make_aware(sent_at)
    except (ValueError, OverflowError):
        sent_at = None
    if sent_at is None:
        raise RowError("sent_at must be an ISO date and time")
    if not HISTORY_STARTS <= sent_at <= now + timedelta(days=1):
        raise RowError("sent_at is before 1970 or in the future")
    return sent_at
