"""Shared set-up for benchmarks that need Django on a throw-away PostgreSQL database.

`make bench` starts PostgreSQL and Redis on loopback and exports TEST_DATABASE_URL / TEST_REDIS_URL; each
benchmark gets a fresh database of its own next to the default one.
"""

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def fresh_postgres(name: str) -> str:
    """Create (or recreate) database ``name`` on the bench server and point DATABASE_URL at it."""
    import psycopg

    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        sys.exit("TEST_DATABASE_URL is not set: run `make bench`, which starts PostgreSQL on loopback.")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(base)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    return url


def setup_django(migrate: bool = True) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dabai.config.settings")
    os.environ.setdefault("DABAI_VAR_DIR", "/tmp/dabai-bench-var")
    os.environ.setdefault("DABAI_DEV", "1")  # benchmarks run in development mode (the development key)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50, p95


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def table_columns(table: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(table: str, source: str, join: str, overrides: dict[str, str], order: str = "") -> int:
    """INSERT INTO table SELECT …: every column copied from the row's prototype ``p`` (written by the
    application) unless overridden by an SQL expression over ``s``; ids come from the table's sequence."""
    from django.db import connection

    columns = [c for c in table_columns(table) if c != "id"]
    exprs = [overrides.get(c, f"p.{c}") for c in columns]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} "
    sql += f"FROM {source} JOIN {table} p ON {join}"
    with connection.cursor() as cursor:
        cursor.execute(sql + (f" ORDER BY {order}" if order else ""))
        return cursor.rowcount
