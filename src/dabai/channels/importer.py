"""Bulk import of historic conversations from CSV or JSONL, set-wise through the one writer.

Each row: ``conversation, channel, customer, customer_name, direction, body, sent_at[, message_id, subject,
status]``. Good rows import while bad ones are reported with their line number; every row has a stable
message id, so re-running a file (or resuming after a crash at ``next_line``) never stores anything twice.
Historic rows do not reopen, route or notify anything: they are history, not new work.

Rows go in chunks: a chunk is parsed, its duplicates dropped with one query, its customers resolved at once,
its new conversations stored by ``record_history`` and the messages of conversations stored in an earlier
chunk by ``append_history`` — a handful of queries per chunk, with the filter reading the customer messages
in the same transaction. A chunk commits together with the resume point, so a crash repeats nothing and
loses nothing. If the database refuses a chunk (a value the checks let through), its rows are retried one by
one so the bad row is reported by its line and the rest still go in.
"""

import csv
import hashlib
import io
import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tasks import task

from dabai.accounts.models import User
from dabai.channels.models import ImportedConversation, ImportJob, ImportStatus
from dabai.channels.sanitise import cap_extras, clean_text
from dabai.conversations.models import Conversation, Direction, Message, Status
from dabai.conversations.services.history import (
    PastConversation,
    PastMessage,
    append_history,
    record_history,
)
from dabai.core.choices import Channel
from dabai.core.tasking import enqueue_on_commit
from dabai.customers.services import Handle, resolve_customers

CHUNK_SIZE = 1000
TASK_BUDGET_SECONDS = 60
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
MAX_ERRORS_KEPT = 1000
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


def start_import(upload: UploadedFile, *, actor: User | None = None) -> ImportJob:
    """Keep the uploaded file and queue the background import."""
    name = upload.name or "import"
    job = ImportJob(name=name[:255], format="csv" if name.lower().endswith(".csv") else "jsonl")
    job.created_by = actor
    job.source.save(name[-100:], upload, save=False)
    job.total_lines = sum(1 for _ in rows(job))
    with transaction.atomic():
        job.save()
        enqueue_on_commit(run_import, job.pk)
    return job


@task()
def run_import(job_id: int) -> str:
    """Import chunks for about a minute, then queue the rest: a crash resumes at ``next_line``."""
    more = import_chunks(job_id, budget_seconds=TASK_BUDGET_SECONDS)
    if more:
        run_import.enqueue(job_id)
    return "more" if more else "done"


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


def import_chunks(
    job_id: int,
    *,
    size: int | None = None,
    max_chunks: int | None = None,
    budget_seconds: float | None = None,
    progress: Callable[[ImportJob], None] | None = None,
) -> bool:
    """Import chunks from the resume point, reading the file once, until it ends, ``max_chunks`` are done or
    ``budget_seconds`` have passed; returns True while rows remain."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status == ImportStatus.DONE:
        return False
    started = time.monotonic()
    pending = itertools.islice(enumerate(rows(job), start=1), job.next_line - 1, None)
    size = size or CHUNK_SIZE
    for done in itertools.count(1):
        chunk = list(itertools.islice(pending, size))
        _import(job, chunk, last=len(chunk) < size)
        if progress is not None:
            progress(job)
        if len(chunk) < size:
            return False
        out_of_time = budget_seconds is not None and time.monotonic() - started >= budget_seconds
        if (max_chunks is not None and done >= max_chunks) or out_of_time:
            return True
    raise AssertionError("unreachable: itertools.count never ends")  # pragma: no cover


def _import(job: ImportJob, chunk: list[tuple[int, tuple[int, dict[str, Any] | str]]], *, last: bool) -> None:
    """Store one chunk and move the resume point past it, in one transaction."""
    parsed: list[Row] = []
    errors: list[dict] = []
    now = timezone.now()
    for _index, (line, row) in chunk:
        try:
            parsed.append(parse_row(line, row, now=now))
        except BAD_ROW as exc:
            errors.append({"line": line, "error": str(exc)})
    with transaction.atomic():
        imported, duplicates, refused = _store_or_isolate(parsed)
        job.imported += imported
        job.duplicates += duplicates
        job.errors = (job.errors + sorted(errors + refused, key=lambda e: e["line"]))[:MAX_ERRORS_KEPT]
        job.status = ImportStatus.RUNNING
        if chunk:
            job.next_line = chunk[-1][0] + 1
        if last:
            job.status = ImportStatus.DONE
            job.finished_at = timezone.now()
        job.save()


def _store_or_isolate(parsed: list[Row]) -> tuple[int, int, list[dict]]:
    """Store the chunk at once; if the database refuses it, row by row, reporting the row it refuses."""
    try:
        with transaction.atomic():
            return (*store_rows(parsed), [])
    except (DataError, IntegrityError):
        pass
    imported = duplicates = 0
    refused = []
    for row in parsed:
        try:
            with transaction.atomic():
                stored, seen = store_rows([row])
        except IntegrityError:
            stored, seen = 0, 1  # stored meanwhile by another import of the same history
        except DataError as exc:
            refused.append({"line": row.line, "error": f"the database refused the row: {exc}"[:300]})
            continue
        imported += stored
        duplicates += seen
    return imported, duplicates, refused


def parse_row(line: int, row: dict[str, Any] | str, *, now: datetime | None = None) -> Row:
    """Check one row and turn it into what the writer stores (RowError says what is wrong); ``now`` (once per
    chunk) bounds the dates."""
    if isinstance(row, str):
        raise RowError(row)
    channel = _field(row, "channel")
    if channel not in CHANNELS:
        raise RowError(f"unknown channel {channel!r}")
    direction = DIRECTIONS.get(_field(row, "direction").lower())
    if direction is None:
        raise RowError("direction must be inbound or outbound")
    body = _field(row, "body")
    sent_at = _sent_at(row, now or timezone.now())
    key = _field(row, "conversation", max_length=MAX_KEY_LENGTH)
    handle = Handle(
        channel,
        _field(row, "customer", max_length=MAX_KEY_LENGTH),
        display_name=_field(row, "customer_name", required=False)[:100],
    )
    status = _field(row, "status", required=False) or Status.CLOSED
    if status not in STATUSES:
        raise RowError(f"unknown status {status!r}")
    digest = hashlib.sha256(f"{key}|{direction}|{sent_at.isoformat()}|{body}".encode()).hexdigest()[:32]
    message_id = _field(row, "message_id", required=False, max_length=MAX_KEY_LENGTH)
    message = PastMessage(
        direction=direction,
        body=body,
        sent_at=sent_at,
        external_id=f"import:{message_id or digest}",
        raw_payload={"import": cap_extras(row, COLUMNS)},
    )
    subject = _field(row, "subject", required=False)[:255]
    return Row(line, f"{channel}:{key}", handle, message, subject, status)


def store_rows(parsed: list[Row]) -> tuple[int, int]:
    """Store checked rows through the one writer: (imported, duplicates)."""
    fresh, duplicates = _fresh(parsed)
    if not fresh:
        return 0, duplicates
    customers = resolve_customers([row.handle for row in fresh])
    mapped = {
        imported.key: imported.conversation
        for imported in ImportedConversation.objects.select_related("conversation").filter(
            key__in={row.key for row in fresh}
        )
    }
    new: dict[str, list[Row]] = {}
    old: dict[Conversation, list[PastMessage]] = {}
    for row in fresh:
        if row.key in mapped:
            old.setdefault(mapped[row.key], []).append(row.message)
        else:
            new.setdefault(row.key, []).append(row)
    past = [
        PastConversation(
            customer=customers[group[0].handle],
            channel=group[0].channel,
            messages=[row.message for row in group],
            subject=group[0].subject,
            status=group[0].status,
        )
        for group in new.values()
    ]
    created = record_history(past)
    ImportedConversation.objects.bulk_create(
        [
            ImportedConversation(key=key, conversation=conversation)
            for key, conversation in zip(new, created, strict=True)
        ]
    )
    append_history(old)
    return len(fresh), duplicates


def _fresh(parsed: list[Row]) -> tuple[list[Row], int]:
    """The rows not stored before (by an earlier run, or earlier in this chunk), and how many were."""
    by_channel: dict[str, set[str]] = {}
    for row in parsed:
        by_channel.setdefault(row.channel, set()).add(row.message.external_id)
    query = Q()
    for channel, ids in by_channel.items():
        query |= Q(channel=channel, external_id__in=ids)
    stored = set(Message.objects.filter(query).values_list("channel", "external_id")) if parsed else set()
    fresh = []
    for row in parsed:
        identity = (row.channel, row.message.external_id)
        if identity not in stored:
            stored.add(identity)
            fresh.append(row)
    return fresh, len(parsed) - len(fresh)


def _field(row: dict[str, Any], name: str, *, required: bool = True, max_length: int = 0) -> str:
    value = clean_text(str(row.get(name) or "")).strip()
    if required and not value:
        raise RowError(f"missing {name}")
    if max_length and len(value) > max_length:
        raise RowError(f"{name} is longer than {max_length} characters")
    return value


def _sent_at(row: dict[str, Any], now: datetime) -> datetime:
    try:
        sent_at = parse_datetime(_field(row, "sent_at"))
        if sent_at is not None and timezone.is_naive(sent_at):
            sent_at = timezone.make_aware(sent_at)
    except (ValueError, OverflowError):
        sent_at = None
    if sent_at is None:
        raise RowError("sent_at must be an ISO date and time")
    if not HISTORY_STARTS <= sent_at <= now + timedelta(days=1):
        raise RowError("sent_at is before 1970 or in the future")
    return sent_at
