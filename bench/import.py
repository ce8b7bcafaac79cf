"""Bulk import of historic conversations on PostgreSQL, through the one writer (issue #20).

A centre moving from its old helpdesk brings millions of messages. This writes a JSONL and a CSV file of
historic messages (conversations of 2–6 messages, about one customer per eight messages, the demo's Chinese
phrasing with order numbers and phone numbers, 0.1 % bad rows), imports both with ``import_chunks`` as the
``dabai import_conversations`` command does (chunks of 1,000 rows: duplicates dropped, customers resolved,
conversations stored by ``record_history`` / ``append_history``, customer messages read by the filter in the
same transaction), and prints rows per second including analysis (target ≥ 5,000), queries per chunk, and
checks that every bad row is reported by its line and nothing is stored twice when the file is run again.

BENCH_IMPORT_ROWS overrides 1,000,000 (split evenly between the two formats).
"""

import csv
import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _django import fresh_postgres, setup_django

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
BAD_EVERY = 1000
CHANNELS = ["phone", "email", "wechat", "sms", "chat", "weibo"]
REPLIES = ["您好，已为您查询，请稍等", "已登记，师傅会尽快联系您", "给您带来不便非常抱歉", "好的，已处理"]
COLUMNS = ["conversation", "channel", "customer", "customer_name", "direction", "body", "sent_at"]


def history(rows: int, seed: int) -> list[dict | str]:
    """Historic rows in conversation order, with a bad row (no body, or a made-up channel) now and then."""
    from dabai.demo.builder import SURNAMES, TEMPLATES

    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out: list[dict | str] = []
    conversation = 0
    while len(out) < rows:
        conversation += 1
        channel = rng.choice(CHANNELS)
        customer = f"{seed}-{conversation // 3}"
        when = start + timedelta(minutes=rng.randrange(60 * 24 * 600))
        for turn in range(rng.randint(2, 6)):
            inbound = turn % 2 == 0
            _, template = rng.choice(TEMPLATES)
            body = template.format(
                order=f"DD{rng.randrange(10**9):09d}",
                amount=rng.choice([29, 58, 199, 1200]),
                days=rng.choice(["三天", "一周", "半个月"]),
                date="3月2日",
                phone=f"139{rng.randrange(10**8):08d}",
            )
            row = {
                "conversation": f"old-{seed}-{conversation}",
                "channel": channel,
                "customer": customer,
                "customer_name": rng.choice(SURNAMES) + rng.choice("先生女士"),
                "direction": "inbound" if inbound else "outbound",
                "body": body if inbound else rng.choice(REPLIES),
                "sent_at": (when + timedelta(minutes=7 * turn)).isoformat(),
            }
            if len(out) % BAD_EVERY == BAD_EVERY - 1:
                row = {**row, "body": ""} if rng.random() < 0.5 else {**row, "channel": "fax"}
            out.append(row)
    return out[:rows]


def write_jsonl(path: Path, rows: list[dict | str]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_csv(path: Path, rows: list[dict | str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def run(path: Path) -> tuple[object, float, int, float]:
    """Import one file as the command does; (job, seconds, queries in the first chunk, CPU seconds of this
    process — what the importer itself costs, whatever else the machine is doing)."""
    from django.core.files import File
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dabai.channels.importer import import_chunks, rows
    from dabai.channels.models import ImportJob

    job = ImportJob(name=path.name, format="csv" if path.suffix == ".csv" else "jsonl")
    with path.open("rb") as handle:
        job.source.save(path.name, File(handle), save=False)
    job.total_lines = sum(1 for _ in rows(job))
    job.save()
    started, cpu, server = time.perf_counter(), time.process_time(), _server_cpu()
    with CaptureQueriesContext(connection) as first:
        import_chunks(job.pk, max_chunks=1)
    import_chunks(job.pk)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"  {path.name}: importer CPU {cpu:.1f} s, PostgreSQL backend CPU {_server_cpu() - server:.1f} s")
    job.refresh_from_db()
    return job, seconds, len(first.captured_queries), cpu


def _server_cpu() -> float:
    """CPU seconds the connection's PostgreSQL backend has used (it runs on this machine in the bench)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bare_copy(path: Path) -> float:
    """The same-run baseline: the least any importer does with this file — read and parse every row and COPY
    it raw into an unlogged table of the same PostgreSQL. Seconds."""
    from django.db import connection

    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        parsed = list(csv.DictReader(handle)) if path.suffix == ".csv" else [json.loads(x) for x in handle]
    with connection.cursor() as cursor:
        cursor.execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_bare (row jsonb)")
        with cursor.cursor.copy("COPY bench_bare (row) FROM STDIN") as copy:
            for row in parsed:
                copy.write_row([json.dumps(row, ensure_ascii=False)])
        cursor.execute("DROP TABLE bench_bare")
    return time.perf_counter() - started


def main() -> None:
    fresh_postgres("bench_import")
    setup_django()
    from dabai.conversations.models import Conversation, Insight, Message

    half = ROWS // 2
    folder = Path(tempfile.mkdtemp(prefix="dabai-import-"))
    files = {"jsonl": folder / "history.jsonl", "csv": folder / "history.csv"}
    began = time.perf_counter()
    write_jsonl(files["jsonl"], history(half, seed=1))
    write_csv(files["csv"], history(ROWS - half, seed=2))
    print(f"files: {ROWS:,} rows written in {time.perf_counter() - began:.0f} s ({folder})")

    total_rows = total_seconds = total_cpu = total_bare = 0.0
    for kind, path in files.items():
        bare = bare_copy(path)
        job, seconds, queries, cpu = run(path)
        lines = job.total_lines
        expected_bad = lines // BAD_EVERY
        print(
            f"{kind}: {lines:,} rows in {seconds:.1f} s = {lines / seconds:,.0f} rows/s including analysis "
            f"({lines / cpu:,.0f} rows per CPU-second of the importer); {job.imported:,} imported, "
            f"{len(job.errors)} bad rows reported by line (expected {expected_bad}), {queries} queries for "
            f"the first chunk of 1,000; bare parse + COPY of the same file {lines / bare:,.0f} rows/s"
        )
        total_rows += lines
        total_seconds += seconds
        total_cpu += cpu
        total_bare += bare
    print(
        f"total: {total_rows:,.0f} rows in {total_seconds:.1f} s = {total_rows / total_seconds:,.0f} rows/s "
        f"(target ≥ 5,000; {total_rows / total_cpu:,.0f} rows per importer CPU-second; "
        f"{total_bare / total_seconds:.2f}x the bare parse + COPY measured in the same run, load average "
        f"{os.getloadavg()[0]:.1f}): {Conversation.objects.count():,} conversations, "
        f"{Message.objects.count():,} messages, {Insight.objects.count():,} customer messages read"
    )
    before = Message.objects.count()
    sample = folder / "again.jsonl"
    sample.write_text("".join(files["jsonl"].open(encoding="utf-8").readlines()[:20_000]), encoding="utf-8")
    job, seconds, _, _ = run(sample)
    print(
        f"re-running 20,000 rows already imported: {seconds:.1f} s, {job.imported} stored again, "
        f"{job.duplicates:,} recognised as duplicates, messages {before:,} -> {Message.objects.count():,}"
    )


if __name__ == "__main__":
    main()
