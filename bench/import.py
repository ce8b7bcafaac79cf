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


def run(path: Path) -> tuple[object, float, int]:
    """Import one file as the command does; (job, seconds, queries in the first chunk)."""
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
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as first:
        import_chunks(job.pk, max_chunks=1)
    import_chunks(job.pk)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    return job, seconds, len(first.captured_queries)


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

    total_rows = total_seconds = 0.0
    for kind, path in files.items():
        job, seconds, queries = run(path)
        lines = job.total_lines
        expected_bad = lines // BAD_EVERY
        print(
            f"{kind}: {lines:,} rows in {seconds:.1f} s = {lines / seconds:,.0f} rows/s including analysis; "
            f"{job.imported:,} imported, {len(job.errors)} bad rows reported by line "
            f"(expected {expected_bad}), {queries} queries for the first chunk of 1,000"
        )
        total_rows += lines
        total_seconds += seconds
    print(
        f"total: {total_rows:,.0f} rows in {total_seconds:.1f} s = {total_rows / total_seconds:,.0f} rows/s "
        f"(target ≥ 5,000): {Conversation.objects.count():,} conversations, {Message.objects.count():,} "
        f"messages, {Insight.objects.count():,} customer messages read"
    )
    before = Message.objects.count()
    sample = folder / "again.jsonl"
    sample.write_text("".join(files["jsonl"].open(encoding="utf-8").readlines()[:20_000]), encoding="utf-8")
    job, seconds, _ = run(sample)
    print(
        f"re-running 20,000 rows already imported: {seconds:.1f} s, {job.imported} stored again, "
        f"{job.duplicates:,} recognised as duplicates, messages {before:,} -> {Message.objects.count():,}"
    )


if __name__ == "__main__":
    main()
