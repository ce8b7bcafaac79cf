"""Bulk import of historic conversations from CSV or JSONL.

Each row: ``conversation, channel, customer, customer_name, direction, body, sent_at[, message_id, subject,
status]``. Good rows import while bad ones are reported with their line number; every row has a stable
message id, so re-running a file (or resuming after a crash at ``next_line``) never stores anything twice.
Historic rows do not reopen, route or notify anything: they are history, not new work.
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import DataError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tasks import task

from dabai.accounts.models import User
from dabai.channels.models import ImportedConversation, ImportJob, ImportStatus
from dabai.channels.sanitise import cap_extras, clean_text
from dabai.conversations.models import Conversation, DeliveryStatus, Direction, Message, Status
from dabai.conversations.tasks import analyse_messages
from dabai.core.choices import Channel
from dabai.core.tasking import enqueue_on_commit
from dabai.customers.services import resolve_customer
from dabai.filter import mask

CHUNK_SIZE = 200
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
    """Import the next chunk of a bulk import, then queue the rest: a crash resumes at ``next_line``."""
    more = import_chunk(job_id)
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


def import_chunk(job_id: int, size: int = CHUNK_SIZE) -> bool:
    """Import up to ``size`` rows from the resume point; returns True while rows remain."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status == ImportStatus.DONE:
        return False
    job.status = ImportStatus.RUNNING
    done = 0
    last_line = job.next_line - 1
    more = False
    for index, (line, row) in enumerate(rows(job), start=1):
        if index < job.next_line:
            continue
        if done >= size:
            more = True
            break
        _import_row(job, line, row)
        done += 1
        last_line = index
    job.next_line = last_line + 1
    if not more:
        job.status = ImportStatus.DONE
        job.finished_at = timezone.now()
    job.save()
    return more


def _import_row(job: ImportJob, line: int, row: dict[str, Any] | str) -> None:
    try:
        if isinstance(row, str):
            raise RowError(row)
        with transaction.atomic():
            message = import_row(row)
    except BAD_ROW as exc:
        if len(job.errors) < MAX_ERRORS_KEPT:
            job.errors.append({"line": line, "error": str(exc)})
        return
    if message is not None:
        job.imported += 1
        if message.direction == Direction.INBOUND:
            analyse_messages.enqueue([message.pk])
    else:
        job.duplicates += 1


def _field(row: dict[str, Any], name: str, *, required: bool = True, max_length: int = 0) -> str:
    value = clean_text(str(row.get(name) or "")).strip()
    if required and not value:
        raise RowError(f"missing {name}")
    if max_length and len(value) > max_length:
        raise RowError(f"{name} is longer than {max_length} characters")
    return value


def _sent_at(row: dict[str, Any]) -> datetime:
    try:
        sent_at = parse_datetime(_field(row, "sent_at"))
        if sent_at is not None and timezone.is_naive(sent_at):
            sent_at = timezone.make_aware(sent_at)
    except (ValueError, OverflowError):
        sent_at = None
    if sent_at is None:
        raise RowError("sent_at must be an ISO date and time")
    if not HISTORY_STARTS <= sent_at <= timezone.now() + timedelta(days=1):
        raise RowError("sent_at is before 1970 or in the future")
    return sent_at


def import_row(row: dict[str, Any]) -> Message | None:
    """Store one historic message; None if it was already there."""
    channel = _field(row, "channel")
    if channel not in Channel.values:
        raise RowError(f"unknown channel {channel!r}")
    direction = DIRECTIONS.get(_field(row, "direction").lower())
    if direction is None:
        raise RowError("direction must be inbound or outbound")
    body = _field(row, "body")
    sent_at = _sent_at(row)
    key = _field(row, "conversation", max_length=MAX_KEY_LENGTH)
    customer = resolve_customer(
        channel,
        _field(row, "customer", max_length=MAX_KEY_LENGTH),
        display_name=_field(row, "customer_name", required=False)[:100],
    )
    digest = hashlib.sha256(f"{key}|{direction}|{sent_at.isoformat()}|{body}".encode()).hexdigest()[:32]
    message_id = _field(row, "message_id", required=False, max_length=MAX_KEY_LENGTH)
    external_id = f"import:{message_id or digest}"
    if Message.objects.filter(channel=channel, external_id=external_id).exists():
        return None
    conversation = _conversation(key, channel, customer, row, sent_at)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                direction=direction,
                channel=channel,
                external_id=external_id,
                body=body,
                raw_payload={"import": cap_extras(row, COLUMNS)},
                sent_at=sent_at,
                delivery_status=DeliveryStatus.SENT
                if direction == Direction.OUTBOUND
                else DeliveryStatus.NONE,
            )
    except IntegrityError:
        return None
    updates: dict[str, Any] = {"message_count": F("message_count") + 1}
    if sent_at > conversation.last_message_at:
        updates["last_message_at"] = sent_at
    if direction == Direction.INBOUND:
        updates["preview"] = mask(body)[:120]
        if conversation.last_inbound_at is None or sent_at > conversation.last_inbound_at:
            updates["last_inbound_at"] = sent_at
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    return message


def _conversation(key: str, channel: str, customer: Any, row: dict[str, Any], sent_at: Any) -> Conversation:
    mapped = (
        ImportedConversation.objects.select_related("conversation").filter(key=f"{channel}:{key}").first()
    )
    if mapped is not None:
        return mapped.conversation
    status = _field(row, "status", required=False) or Status.CLOSED
    if status not in Status.values:
        raise RowError(f"unknown status {status!r}")
    conversation = Conversation.objects.create(
        customer=customer,
        channel=channel,
        subject=_field(row, "subject", required=False)[:255],
        status=status,
        last_message_at=sent_at,
        closed_at=sent_at if status == Status.CLOSED else None,
        resolved_at=sent_at if status in {Status.CLOSED, Status.RESOLVED} else None,
    )
    ImportedConversation.objects.create(key=f"{channel}:{key}", conversation=conversation)
    return conversation
