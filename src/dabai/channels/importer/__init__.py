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

A job's rows are shared out over shards (``ImportShard``) by their channel and customer, so that two
processes import one file side by side (one process cannot keep up with PostgreSQL on its own): all of a
customer's rows, and so every row of their conversations, are in one shard and keep their order (an export
that names two customers in one conversation still ends in one conversation: see ``_store_or_isolate``);
each shard commits its own resume point with its chunks, a crashed shard resumes from its own, and the job
adds the shards' figures up (errors merged in line order, ``next_line`` the lowest of theirs, done when all
are). The command runs the shards in processes of its own; uploads queue a task per shard.
"""

import itertools
import multiprocessing
import time
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import DataError, IntegrityError, OperationalError, connection, connections, transaction
from django.utils import timezone
from django_tasks import task

from dabai.accounts.models import User
from dabai.channels.importer.rows import (
    BAD_ROW,
    COLUMNS,
    Row,
    RowError,
    parse_row,
    rows,
    shard_of,
)
from dabai.channels.importer.storing import store_rows
from dabai.channels.models import ImportJob, ImportShard, ImportStatus
from dabai.core.tasking import enqueue_on_commit

__all__ = [
    "COLUMNS",
    "SHARDS",
    "Row",
    "RowError",
    "import_chunks",
    "import_in_processes",
    "parse_row",
    "rows",
    "run_import",
    "start_import",
    "store_rows",
]

CHUNK_SIZE = 1000

# Two processes on the two cores of a small server: one importer process is the bottleneck beside PostgreSQL.
SHARDS = 2

# A chunk that collides with another shard's (the same conversation key under two customers) is tried again.
CHUNK_ATTEMPTS = 3

TASK_BUDGET_SECONDS = 60

MAX_ERRORS_KEPT = 1000


def start_import(upload: UploadedFile, *, actor: User | None = None, shards: int = SHARDS) -> ImportJob:
    """Keep the uploaded file and queue the background import, one task per shard (with two workers they run
    side by side; with one, one after the other)."""
    name = upload.name or "import"
    job = ImportJob(name=name[:255], format="csv" if name.lower().endswith(".csv") else "jsonl")
    job.created_by = actor
    job.shard_count = shards
    job.source.save(name[-100:], upload, save=False)
    job.total_lines = sum(1 for _ in rows(job))
    with transaction.atomic():
        job.save()
        for shard in ensure_shards(job):
            enqueue_on_commit(run_import, job.pk, shard.number)
    return job


@task()
def run_import(job_id: int, shard: int | None = None) -> str:
    """Import a shard's chunks for about a minute, then queue the rest: a crash resumes at the shard's
    ``next_line``. Without ``shard`` (tasks queued before imports had shards) every shard, in turn."""
    more = import_chunks(job_id, shard=shard, budget_seconds=TASK_BUDGET_SECONDS)
    if more:
        run_import.enqueue(job_id, shard)
    return "more" if more else "done"


def ensure_shards(job: ImportJob) -> list[ImportShard]:
    """The job's shards, created on first use at the job's resume point (a job from before shards resumes
    where its one process stopped)."""
    ImportShard.objects.bulk_create(
        [ImportShard(job=job, number=n, next_line=job.next_line) for n in range(job.shard_count)],
        ignore_conflicts=True,
    )
    return list(ImportShard.objects.filter(job=job).order_by("number"))


def import_in_processes(job_id: int, *, progress: Callable[[ImportJob], None] | None = None) -> None:
    """Import a job to its end, its shards in processes of their own side by side on PostgreSQL (forked,
    sharing the loaded filter model); one after the other in this process on SQLite (one writer at a time)
    or inside a transaction (a test's: other processes could not see its rows)."""
    job = ImportJob.objects.get(pk=job_id)
    pending = [shard.number for shard in ensure_shards(job) if not shard.done]
    if connection.vendor != "postgresql" or connection.in_atomic_block or len(pending) < 2:
        import_chunks(job_id, progress=progress)
        return
    from dabai.conversations.filtering import current_model
    from dabai.filter import analyse_many

    analyse_many(
        ["预热"], model=current_model()
    )  # load the model once, before the fork: shared, not reloaded
    _hang_up()  # each process opens connections of its own: one socket shared by two would garble both
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_shard_process, args=(job_id, n), name=f"import-{job_id}-{n}") for n in pending
    ]
    for worker in workers:
        worker.start()
    try:
        while any(worker.is_alive() for worker in workers):
            for worker in workers:
                worker.join(timeout=0.5 / len(workers))
            if progress is not None:
                job.refresh_from_db()
                progress(job)
    finally:
        for worker in workers:
            worker.join()
    failed = [worker.name for worker in workers if worker.exitcode != 0]
    if failed:
        raise RuntimeError(f"import shard processes stopped early: {', '.join(failed)} (resume the import)")
    if progress is not None:
        job.refresh_from_db()
        progress(job)


def _shard_process(job_id: int, shard: int) -> None:
    """A forked process's life: import one shard to its end, then hang up its own connection."""
    try:
        import_chunks(job_id, shard=shard)
    finally:
        _hang_up()


def _hang_up() -> None:
    """Close this process's database connections, pooled ones too (a pool keeps its connections open and
    hands them out again: forked, the children would share them with the parent)."""
    for conn in connections.all(initialized_only=True):
        conn.close()
        if hasattr(conn, "close_pool"):
            conn.close_pool()


class ShardTaken(Exception):
    """Another process moved this shard's resume point meanwhile (a second run of the same shard): it goes on,
    this one stops, and the chunk it was storing rolls back."""


def import_chunks(
    job_id: int,
    *,
    shard: int | None = None,
    size: int | None = None,
    max_chunks: int | None = None,
    budget_seconds: float | None = None,
    progress: Callable[[ImportJob], None] | None = None,
) -> bool:
    """Import chunks of one shard (every shard in turn without ``shard``) from its resume point, reading the
    file once per shard, until it ends, ``max_chunks`` are done or ``budget_seconds`` have passed; returns
    True while rows remain."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status == ImportStatus.DONE:
        return False
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    budget = [max_chunks if max_chunks is not None else -1]
    more = False
    for part in ensure_shards(job):
        if part.done or (shard is not None and part.number != shard):
            continue
        if budget[0] == 0 or (deadline is not None and time.monotonic() >= deadline):
            return True
        try:
            more = _import_shard(job, part, size or CHUNK_SIZE, budget, deadline, progress) or more
        except ShardTaken:
            continue
    return more


def _import_shard(
    job: ImportJob,
    shard: ImportShard,
    size: int,
    budget: list[int],
    deadline: float | None,
    progress: Callable[[ImportJob], None] | None,
) -> bool:
    """Import the shard's rows in chunks of ``size`` from its resume point; True when stopped with rows left
    (``budget[0]`` chunks spent, or past the deadline)."""
    count, number = job.shard_count, shard.number
    chunk: list[tuple[int, dict[str, Any] | str]] = []
    seen = shard.next_line - 1
    for seen, (line, row) in itertools.islice(enumerate(rows(job), start=1), shard.next_line - 1, None):
        if shard_of(row, line, count) != number:
            continue
        chunk.append((line, row))
        if len(chunk) < size:
            continue
        _import(job, shard, chunk, next_line=seen + 1, last=False)
        chunk = []
        if progress is not None:
            progress(job)
        budget[0] -= 1
        if budget[0] == 0 or (deadline is not None and time.monotonic() >= deadline):
            return True
    _import(job, shard, chunk, next_line=seen + 1, last=True)
    if progress is not None:
        progress(job)
    return False


def _import(
    job: ImportJob,
    shard: ImportShard,
    chunk: list[tuple[int, dict[str, Any] | str]],
    *,
    next_line: int,
    last: bool,
) -> None:
    """Store one chunk, move the shard's resume point past it and add its figures to the job's, in one
    transaction."""
    parsed: list[Row] = []
    errors: list[dict] = []
    now = timezone.now()
    for line, row in chunk:
        try:
            parsed.append(parse_row(line, row, now=now))
        except BAD_ROW as exc:
            errors.append({"line": line, "error": str(exc)})
    with transaction.atomic():
        # First, so a second run of this shard waits here and then stops instead of storing the chunk again.
        claimed = ImportShard.objects.filter(pk=shard.pk, next_line=shard.next_line, done=False).update(
            next_line=next_line, done=last
        )
        if not claimed:
            raise ShardTaken(shard)
        imported, duplicates, refused = _store_or_isolate(parsed)
        _account(job, imported, duplicates, errors + refused)
    shard.next_line, shard.done = next_line, last


def _account(job: ImportJob, imported: int, duplicates: int, errors: list[dict]) -> None:
    """Add a chunk's figures to the job, with the job's row locked (the other shards add theirs too): errors
    merged in line order (the first ``MAX_ERRORS_KEPT`` lines kept), the lowest resume point of the shards,
    done when every shard is."""
    fresh = ImportJob.objects.select_for_update().get(pk=job.pk)
    shards = list(ImportShard.objects.filter(job_id=job.pk).values_list("next_line", "done"))
    fresh.imported += imported
    fresh.duplicates += duplicates
    if errors:
        fresh.errors = sorted(fresh.errors + errors, key=lambda e: e["line"])[:MAX_ERRORS_KEPT]
    fresh.next_line = min(next_line for next_line, _ in shards)
    fresh.status = ImportStatus.RUNNING
    if all(done for _, done in shards):
        fresh.status = ImportStatus.DONE
        fresh.finished_at = timezone.now()
    fresh.save(update_fields=["imported", "duplicates", "errors", "next_line", "status", "finished_at"])
    for name in ("imported", "duplicates", "errors", "next_line", "status", "finished_at"):
        setattr(job, name, getattr(fresh, name))


def _store_or_isolate(parsed: list[Row]) -> tuple[int, int, list[dict]]:
    """Store the chunk at once; if the database refuses it, row by row, reporting the row it refuses.

    A chunk that collides with another shard's (a conversation key under two customers, so in two shards;
    a deadlock between them) is tried again first: the other's rows are then stored, and ours join them."""
    for _attempt in range(CHUNK_ATTEMPTS):
        try:
            with transaction.atomic():
                return (*store_rows(parsed), [])
        except DataError:
            break
        except (IntegrityError, OperationalError):
            continue
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
