"""The voice-of-the-customer portal at scale: 1,000,000 messages (half customer messages read by the filter,
half answers) in PostgreSQL, with cases, topic assignments and discovered topics.

History is generated set-wise in SQL (``INSERT … SELECT`` over ``generate_series``): every row copies a
prototype written by the application's own services (``record_history``, the case index, the topic
matcher), with only the columns that vary replaced: time, channel, customer and the text, drawn from realistic
customer messages that the real filter has read (intent, sentiment, voice, escalation) and the case index
has tokenised. A recent App-crash complaint cluster is the emerging issue.

Measured at two data sizes (a tenth first, then the full size): p50/p95 of the portal's front page, a
faceted search (three facets and a query), a topic's trend chart data, and the daily emerging-issue
computation (plus topic discovery), and the SQL query count of each page (must not grow with the data).
Targets: pages and chart data p95 < 300 ms, emerging issues for a day < 60 s.

    make bench   # or: TEST_DATABASE_URL=postgres://… .venv/bin/python bench/voc.py
    BENCH_VOC_MESSAGES=200000 … (a smaller run)
    … bench/voc.py --reuse            # keep the generated databases and measure them again next time
    … bench/voc.py --reuse --pages    # the same, pages only (no topic discovery / emerging issues)

Each size lives in a database of its own, ``<name>_<size>k`` (the larger one is a copy of the smaller one,
grown): ``--reuse`` measures databases a previous run completed instead of generating them again (the 1 M
build takes minutes), after applying any new migration.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from _django import copy_rows, percentiles, setup_django, timed

MESSAGES = int(os.environ.get("BENCH_VOC_MESSAGES", "1000000"))
REPEAT = int(os.environ.get("BENCH_VOC_REPEAT", "30"))
DAYS = 364
BURST_DAYS = 6
BURST_SHARE = 0.003  # of the conversations, all in the last six days
CUSTOMERS = 50_000
CHANNELS = ["phone", "chat", "wechat", "email", "weibo", "sms"]


def templates() -> tuple[list[str], list[str]]:
    """Realistic customer messages: the demo centre's and the portal demo's, with numbers and products."""
    from dabai.demo.builder import TEMPLATES
    from dabai.insights.demo import BURST, PRODUCTS, STEADY

    rng = random.Random(14)
    steady = []
    for _intent, template in TEMPLATES:
        for _ in range(3):
            steady.append(
                template.format(
                    order=f"DD{rng.randrange(10**11, 10**12)}",
                    amount=rng.choice([18, 30, 88, 299]),
                    days=rng.choice(["三天", "一周", "5天"]),
                    date=f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
                    phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                )
            )
    for _theme, _weight, texts in STEADY:
        for text in texts:
            for _ in range(3):
                steady.append(text.format(n=rng.randint(2, 9), p=rng.choice(PRODUCTS)))
    steady = sorted(set(steady))
    return steady, list(BURST)


def prototypes(steady: list[str], burst: list[str]) -> None:
    """One conversation per text, written by the application itself (the filter reads it, the case index
    and the topic matcher index it); ``bench_text`` maps each text to its prototype rows."""
    from django.db import connection
    from django.utils import timezone

    from dabai.conversations.models import Direction
    from dabai.conversations.services import PastConversation, PastMessage, record_history
    from dabai.customers.models import Customer
    from dabai.insights.services import index_cases

    customer = Customer.objects.create(display_name="原型客户")
    at = timezone.now() - timedelta(days=800)
    texts = steady + burst
    conversations = record_history(
        [
            PastConversation(
                customer=customer,
                channel="chat",
                subject="",
                messages=[
                    PastMessage(Direction.INBOUND, text, at),
                    PastMessage(
                        Direction.OUTBOUND, "您好，已为您登记，我们会尽快处理。", at + timedelta(minutes=5)
                    ),
                ],
            )
            for text in texts
        ]
    )
    index_cases([c.pk for c in conversations])
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_text (k int PRIMARY KEY, conversation_id bigint, inbound_id bigint)"
        )
        rows = []
        for k, conversation in enumerate(conversations):
            inbound = conversation.messages.get(direction=Direction.INBOUND).pk
            rows.append((k, conversation.pk, inbound))
        cursor.executemany("INSERT INTO bench_text VALUES (%s, %s, %s)", rows)


def grow(first: int, last: int, n_steady: int, n_burst: int, customer_ids: tuple[int, int]) -> None:
    """Conversations ``first`` … ``last - 1`` of the plan, each one customer message (read) and one answer."""
    from django.db import connection, transaction

    lo, hi = customer_ids
    burst_share = int(BURST_SHARE * 10000)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plan")
        # a conversation's text, time, channel and customer follow from its number (deterministic)
        cursor.execute(
            """CREATE UNLOGGED TABLE bench_plan AS
            SELECT g, b.burst,
                   CASE WHEN b.burst THEN %s + (g %% %s) ELSE (g * 104729) %% %s END AS k,
                   now() - make_interval(
                     secs => ((g * 15485863) %% (CASE WHEN b.burst THEN %s ELSE %s END * 86400))::float
                   ) AS at,
                   (%s::text[])[1 + (g %% %s)] AS channel,
                   %s + (g * 2654435761) %% (%s - %s + 1) AS customer_id
            FROM generate_series(%s::bigint, %s::bigint - 1) g,
                 LATERAL (SELECT (g * 7919) %% 10000 < %s AS burst) b""",
            [
                n_steady,
                n_burst,
                n_steady,
                BURST_DAYS,
                DAYS,
                CHANNELS,
                len(CHANNELS),
                lo,
                hi,
                lo,
                first,
                last,
                burst_share,
            ],
        )
        cursor.execute(
            "ALTER TABLE bench_plan ADD COLUMN conversation_id bigint, ADD COLUMN proto bigint, "
            "ADD COLUMN inbound bigint"
        )
        cursor.execute(
            "UPDATE bench_plan bp SET proto = t.conversation_id, inbound = t.inbound_id "
            "FROM bench_text t WHERE t.k = bp.k"
        )
        cursor.execute("SELECT coalesce(max(id), 0) FROM conversations_conversation")
        (before,) = cursor.fetchone()
    with transaction.atomic():
        copy_rows(
            "conversations_conversation",
            "bench_plan s",
            "p.id = s.proto",
            {
                "customer_id": "s.customer_id",
                "channel": "s.channel",
                "created_at": "s.at",
                "last_message_at": "s.at + interval '5 minutes'",
                "last_inbound_at": "s.at",
                "first_response_at": "s.at + interval '5 minutes'",
                "resolved_at": "s.at + interval '5 minutes'",
                "closed_at": "s.at + interval '5 minutes'",
            },
            order="s.g",
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE bench_plan bp SET conversation_id = c.id FROM (SELECT id, row_number() OVER "
                "(ORDER BY id) AS r FROM conversations_conversation WHERE id > %s) c "
                "WHERE c.r = bp.g - %s + 1",
                [before, first],
            )
            cursor.execute("CREATE INDEX ON bench_plan (inbound)")
        moved = {"conversation_id": "s.conversation_id", "channel": "s.channel"}
        copy_rows(
            "conversations_message",
            "bench_plan s",
            "p.conversation_id = s.proto AND p.direction = 'inbound'",
            {**moved, "sent_at": "s.at", "created_at": "s.at"},
        )
        copy_rows(
            "conversations_message",
            "bench_plan s",
            "p.conversation_id = s.proto AND p.direction = 'outbound'",
            {**moved, "sent_at": "s.at + interval '5 minutes'", "created_at": "s.at + interval '5 minutes'"},
        )
        copy_rows(
            "conversations_insight",
            "(SELECT bp.inbound, bp.at, m.id AS message_id FROM bench_plan bp JOIN conversations_message m "
            "ON m.conversation_id = bp.conversation_id AND m.direction = 'inbound') s",
            "p.message_id = s.inbound",
            {"message_id": "s.message_id", "created_at": "s.at"},
        )
        copy_rows(
            "insights_case",
            "bench_plan s",
            "p.conversation_id = s.proto",
            {**moved, "customer_id": "s.customer_id", "opened_at": "s.at", "indexed_at": "s.at"},
        )
        copy_rows(
            "insights_casetopic",
            "bench_plan s",
            "p.conversation_id = s.proto",
            {"conversation_id": "s.conversation_id", "opened_at": "s.at"},
        )


def measure(label: str, client, urls: dict[str, str]) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, url in urls.items():
        started = time.perf_counter()
        response = client.get(url)
        first = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts[name] = len(queries)
        p50, p95 = percentiles(timed(lambda url=url: client.get(url), REPEAT))
        print(
            f"  {label:>9} {name:<28} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {counts[name]:3d} queries  "
            f"(first {first:.0f} ms)"
        )
    return counts


def daily(label: str) -> None:
    from dabai.insights import emerging, topics

    started = time.perf_counter()
    found = topics.discover_topics()
    discovery = time.perf_counter() - started
    started = time.perf_counter()
    run = emerging.compute_emerging()
    seconds = time.perf_counter() - started
    top = run.rises.select_related("topic").first()
    print(
        f"  {label:>9} topic discovery {discovery:6.1f} s ({found.clusters} clusters, "
        f"{found.matched} kept their id, {found.created} new) · emerging issues for a day {seconds:6.2f} s "
        f"over {run.topics_tested} topics, {run.rises.count()} rising; "
        f"top: {top.topic.name if top else '—'} ({top.observed if top else 0} this week)"
    )


def _server() -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        sys.exit("TEST_DATABASE_URL is not set: run `make bench`, which starts PostgreSQL on loopback.")
    return base


def _complete(name: str, conversations: int) -> bool:
    """Whether database *name* exists and a previous run finished generating its *conversations* (the
    marker of a smaller size comes along when a larger database is copied from a smaller one)."""
    import psycopg

    with psycopg.connect(_server(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
    url = urlunsplit(urlsplit(_server())._replace(path=f"/{name}"))
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT to_regclass('bench_done') IS NOT NULL").fetchone()[0]:
            return False
        return bool(conn.execute("SELECT 1 FROM bench_done WHERE size = %s", [conversations]).fetchone())


def _create(name: str, template: str = "") -> None:
    """(Re)create database *name*, empty or as a copy of *template* (which nobody may be connected to)."""
    import psycopg

    with psycopg.connect(_server(), autocommit=True) as conn:
        if template:  # only this benchmark uses its databases: leftover sessions of its own
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [template]
            )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def _use(name: str) -> None:
    """Point Django (and DATABASE_URL, before set-up) at database *name*."""
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(_server())._replace(path=f"/{name}"))
    if "django" in sys.modules:
        from django.db import connections

        _release()
        connections["default"].settings_dict["NAME"] = name


def _release() -> None:
    """Close Django's connections to the current database, its pool's idle ones included."""
    from django.db import connections

    connections["default"].close()
    if hasattr(connections["default"], "close_pool"):
        connections["default"].close_pool()


def _mark_complete(conversations: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_done (size int, at timestamptz DEFAULT now())")
        cursor.execute("INSERT INTO bench_done (size) VALUES (%s)", [conversations])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_VOC_DATABASE", "h_voc_bench"),
        help="prefix of the databases (one per size: <prefix>_<size>k); default %(default)s",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the databases a previous run completed, if any"
    )
    parser.add_argument(
        "--pages", action="store_true", help="measure the pages only (no topic discovery, no emerging issues)"
    )
    args = parser.parse_args()
    conversations = MESSAGES // 2
    sizes = (conversations // 10, conversations)
    names = [f"{args.database}_{2 * size // 1000}k" for size in sizes]
    reuse = [args.reuse and _complete(name, size) for name, size in zip(names, sizes, strict=True)]
    if not reuse[0]:
        _create(names[0])
    _use(names[0])
    setup_django()
    from django.db import connection
    from django.test import Client

    from dabai.accounts.models import Role, User
    from dabai.customers.models import Customer
    from dabai.insights import topics
    from dabai.insights.models import Case, Topic, TopicKind
    from dabai.testing import DepartmentFactory, UserFactory

    print(f"voice of the customer: {MESSAGES:,} messages ({conversations:,} conversations) on PostgreSQL")
    started = time.perf_counter()
    if reuse[0]:
        steady, burst = [], []
        customer_range = (0, 0)
    else:
        editor = UserFactory(username="bench-editor", role=Role.SUPERVISOR)
        UserFactory(username="bench-pm", role=Role.DEPARTMENT, department=DepartmentFactory(slug="product"))
        customers = Customer.objects.bulk_create(
            [Customer(display_name=f"客户{i}") for i in range(CUSTOMERS)], batch_size=5000
        )
        customer_range = (customers[0].pk, customers[-1].pk)
        topics.define_topic(editor, "宽带断网", "宽带断网, 断网, 掉线\n上不了网")
        topics.define_topic(editor, "退款到账慢", "退款没到账, 还没到账\n退款什么时候到")
        steady, burst = templates()
        prototypes(steady, burst)
        print(
            f"  {len(steady) + len(burst)} distinct texts read by the filter; "
            f"set-up {time.perf_counter() - started:.1f} s"
        )
    figures = {}
    first = 0
    for i, size in enumerate(sizes):
        if i and reuse[i]:
            _use(names[i])
            setup_django()  # migrate
        elif i:
            _release()
            _create(names[i], template=names[i - 1])
            _use(names[i])
        label = f"{2 * size // 1000}k"
        if reuse[i]:
            print(f"  reusing {names[i]} ({Case.objects.count():,} cases)")
        else:
            if i and not steady:  # the smaller database was reused: its texts are known again
                steady, burst = templates()
                customer_range = tuple(
                    Customer.objects.exclude(display_name="原型客户")
                    .order_by(*order)
                    .values_list("pk", flat=True)[0]
                    for order in (("pk",), ("-pk",))
                )
            started = time.perf_counter()
            grow(first, size, len(steady), len(burst), customer_range)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            _mark_complete(size)
            print(
                f"  generated up to {2 * size:,} messages in {time.perf_counter() - started:.1f} s "
                f"({Case.objects.count():,} cases) into {names[i]}"
            )
        first = size
        if not args.pages:
            daily(label)
        crash = Topic.objects.filter(kind=TopicKind.DISCOVERED, name__contains="闪退").first()
        topic = crash or Topic.objects.filter(kind=TopicKind.INTENT).first()
        urls = {
            "front page": "/voc/",
            "case library, unfiltered": "/voc/cases/",
            "case library, channel=phone": "/voc/cases/?channel=phone",
            "faceted search (3 facets + q)": (
                f"/voc/cases/?q=宽带断网&channel=phone&sentiment=negative&topic={topic.pk}"
            ),
            "topic trend chart data": f"/voc/charts/topics.json?topic={topic.pk}",
        }
        client = Client()
        client.force_login(User.objects.get(username="bench-pm"))
        figures[label] = measure(label, client, urls)
    small, large = figures.values()
    same = small == large
    print(f"  query counts {'equal' if same else 'DIFFER'} at both sizes: {small} / {large}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
