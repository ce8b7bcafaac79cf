"""Bulk import of historic conversations on PostgreSQL, through the one writer (issue #20).

A centre moving from its old helpdesk brings millions of messages. This writes a JSONL and a CSV file of
historic messages (conversations of 2–6 messages, about one customer per eight messages, the demo's Chinese
phrasing with order numbers and phone numbers, 0.1 % bad rows), imports both as the ``dabai
import_conversations`` command does (``import_in_processes``: the rows shared out by customer over two
processes side by side, each in chunks of 1,000 rows: duplicates dropped, customers resolved, conversations
stored by ``record_history`` / ``append_history``, customer messages read by the filter in the same
transaction), and prints rows per second including analysis (target ≥ 5,000), the importer's CPU (all its
processes) and PostgreSQL's (every backend of the bench database), queries per chunk, and checks that every
bad row is reported by its line and nothing is stored twice when the file is run again.

BENCH_IMPORT_ROWS overrides 1,000,000 (split evenly between the two formats).
"""

import csv
import json
import os
import random
import resource
import tempfile
import threading
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
    """Import one file as the command does (its shards in SHARDS processes side by side); (job, seconds,
    queries in the first chunk, CPU seconds of the importer's processes — what the importer itself costs,
    whatever else the machine is doing)."""
    from django.core.files import File
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dabai.channels.importer import SHARDS, import_chunks, import_in_processes, rows
    from dabai.channels.models import ImportJob

    job = ImportJob(name=path.name, format="csv" if path.suffix == ".csv" else "jsonl", shard_count=SHARDS)
    with path.open("rb") as handle:
        job.source.save(path.name, File(handle), save=False)
    job.total_lines = sum(1 for _ in rows(job))
    job.save()
    backends = BackendCPU()
    started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    with CaptureQueriesContext(connection) as first:
        import_chunks(job.pk, max_chunks=1)
    import_in_processes(job.pk)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu + _children_cpu() - children
    print(
        f"  {path.name}: importer CPU {cpu:.1f} s ({SHARDS} processes), "
        f"PostgreSQL CPU {backends.stop():.1f} s"
    )
    job.refresh_from_db()
    return job, seconds, len(first.captured_queries), cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class BackendCPU:
    """CPU seconds of every PostgreSQL backend serving this database while it runs (the importer's processes
    have one each, and they end with them): sampled from /proc every 0.1 s from a connection of its own; a
    backend that starts meanwhile counts from zero, one that ends loses at most its last 0.1 s."""

    def __init__(self) -> None:
        from django.db import connection

        self.database = connection.settings_dict["NAME"]
        self.seen: dict[int, tuple[float, float]] = {}  # pid -> (first, last) CPU seconds
        self.running = True
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        self.ready.wait()

    def _sample(self) -> None:
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            own = conn.info.backend_pid
            while self.running:
                pids = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s", [self.database, own]
                ).fetchall()
                for (pid,) in pids:
                    used = _proc_cpu(pid)
                    if used is not None:
                        first = self.seen.get(pid, (used if not self.ready.is_set() else 0.0, 0.0))[0]
                        self.seen[pid] = (first, used)
                self.ready.set()
                time.sleep(0.1)

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        return sum(last - first for first, last in self.seen.values())


def _proc_cpu(pid: int) -> float | None:
    """CPU seconds a process on this machine has used (PostgreSQL runs here in the bench)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
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
