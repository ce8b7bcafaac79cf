"""Quality by outcomes at scale: 100,000 closed conversations (1,000,000 messages) on PostgreSQL.

History is generated set-wise in SQL (``INSERT … SELECT`` over ``generate_series``): every row copies a
prototype conversation that the application's own services wrote (a customer who writes five times and is
answered five times, the filter's reading of each message, the conversation closed), with only the columns
that vary replaced: customer, channel, team, agent, times, the filter's topic and mood. 30,000 customers
come back now and then over 90 days, often about the same topic (so first-contact resolution is a real
mixture), and a quarter answered the satisfaction survey.

Measured:
- full recomputation of every outcome (``dabai recompute_outcomes``) at 100 k conversations;
- incremental recomputation for one day (``--days 1``);
- the supervisors' team report (``/quality/?group=team`` over 90 days, rendered through the real view as a
  supervisor): p50/p95 and its SQL query count at 10 k and at 100 k conversations (the count must not
  grow); target p95 < 500 ms, and the ratio against the 200 s report calls Chatwoot users report.

    make bench   # or: TEST_DATABASE_URL=postgres://… .venv/bin/python bench/quality.py
    BENCH_QUALITY_CONVERSATIONS=20000 … (a smaller run; the first size is a tenth of it)
"""

import os
import sys
import time
from datetime import timedelta
from io import StringIO

from _django import copy_rows, fresh_postgres, percentiles, setup_django, table_columns, timed

CONVERSATIONS = int(os.environ.get("BENCH_QUALITY_CONVERSATIONS", "100000"))
REPEAT = int(os.environ.get("BENCH_QUALITY_REPEAT", "30"))
CUSTOMERS = int(os.environ.get("BENCH_QUALITY_CUSTOMERS", str(max(CONVERSATIONS * 3 // 10, 100))))
DAYS = 90
TEAMS = 6
AGENTS = 60
CHANNELS = ["phone", "chat", "wechat", "email", "weibo", "sms"]
INTENTS = ["logistics", "refund", "billing", "account", "product", "complaint", "other"]
SENTIMENTS = ["negative", "neutral", "positive"]
CHATWOOT_SECONDS = 200.0
TURNS = 5  # customer messages per conversation, each answered: 10 messages


def people() -> tuple[list[int], list[int], object]:
    """Teams, agents (each in one team) and the supervisor who reads the report."""
    from dabai.accounts.models import AgentProfile, Role, Team, User

    teams = [Team.objects.create(slug=f"team-{i}", name=f"第{i + 1}组") for i in range(TEAMS)]
    agents = User.objects.bulk_create(
        [User(username=f"agent{i}", display_name=f"坐席{i}", role=Role.AGENT) for i in range(AGENTS)]
    )
    for i, agent in enumerate(agents):
        AgentProfile.objects.create(user=agent).teams.set([teams[i % TEAMS]])
    supervisor = User.objects.create(username="banzhang", display_name="班长", role=Role.SUPERVISOR)
    return [t.pk for t in teams], [a.pk for a in agents], supervisor


def prototype(agent_id: int) -> int:
    """One conversation written by the application: five customer messages read by the filter, five human
    answers, closed. Returns its id."""
    from dabai.accounts.models import User
    from dabai.conversations.models import Status
    from dabai.conversations.services import change_status, post_reply, read_messages, receive_message
    from dabai.customers.models import Customer

    agent = User.objects.get(pk=agent_id)
    customer = Customer.objects.create(display_name="原型客户")
    conversation = None
    for turn in range(TURNS):
        received = receive_message(
            customer=customer, channel="chat", body=f"我的快递还没到，第{turn + 1}次问了"
        )
        read_messages([received.message])
        conversation = received.message.conversation
        post_reply(conversation, agent, "您好，已为您催促快递公司，今天会送到。")
    change_status(conversation, Status.CLOSED, actor=agent)
    return conversation.pk


def customers(count: int) -> tuple[int, int]:
    from django.db import connection

    from dabai.customers.models import Customer

    proto = Customer.objects.create(display_name="客户")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_customers AS SELECT g FROM generate_series(1, %s) g", [count]
        )
    copy_rows(
        "customers_customer",
        "bench_customers s",
        f"p.id = {proto.pk}",
        {"display_name": "'客户' || s.g"},
        order="s.g",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM customers_customer WHERE id > %s", [proto.pk])
        return cursor.fetchone()


def grow(
    first: int, last: int, proto: int, customer_ids: tuple[int, int], teams: list[int], agents: list[int]
) -> None:
    """Conversations ``first`` … ``last - 1`` of the plan: 10 messages each, 5 read by the filter; closed."""
    from django.db import connection, transaction

    lo, hi = customer_ids
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plan")
        cursor.execute("DROP TABLE IF EXISTS bench_proto_messages")
        cursor.execute(
            """CREATE UNLOGGED TABLE bench_plan AS
            SELECT g,
                   now() - interval '1 hour'
                     - make_interval(secs => ((g * 15485863) %% (%s * 86400))::float) AS at,
                   (%s::text[])[1 + (g %% %s)] AS channel,
                   %s + (g * 2654435761) %% (%s - %s + 1) AS customer_id,
                   (%s::bigint[])[1 + (g * 31 %% %s)] AS agent_id
            FROM generate_series(%s::bigint, %s::bigint - 1) g""",
            [DAYS, CHANNELS, len(CHANNELS), lo, hi, lo, agents, len(agents), first, last],
        )
        # a customer mostly comes back about the same topic; the team is the agent's
        cursor.execute(
            "ALTER TABLE bench_plan ADD COLUMN intent text, ADD COLUMN team_id bigint, "
            "ADD COLUMN conversation_id bigint"
        )
        cursor.execute(
            "UPDATE bench_plan SET intent = (%s::text[])[1 + ((customer_id + (g %% 3 = 0)::int) %% %s)], "
            "team_id = (%s::bigint[])[1 + (array_position(%s::bigint[], agent_id) - 1) %% %s]",
            [INTENTS, len(INTENTS), teams, agents, len(teams)],
        )
        cursor.execute("SELECT coalesce(max(id), 0) FROM conversations_conversation")
        (before,) = cursor.fetchone()
        copy_rows(
            "conversations_conversation",
            "bench_plan s",
            f"p.id = {proto}",
            {
                "customer_id": "s.customer_id",
                "channel": "s.channel",
                "team_id": "s.team_id",
                "assignee_id": "s.agent_id",
                "created_at": "s.at",
                "last_message_at": "s.at + interval '27 minutes'",
                "last_inbound_at": "s.at + interval '24 minutes'",
                "first_response_at": "s.at + interval '3 minutes'",
                "resolved_at": "s.at + interval '30 minutes'",
                "closed_at": "s.at + interval '30 minutes'",
            },
            order="s.g",
        )
        cursor.execute(
            "UPDATE bench_plan bp SET conversation_id = c.id FROM ("
            "  SELECT id, row_number() OVER (ORDER BY id) AS rn FROM conversations_conversation WHERE id > %s"
            ") c WHERE c.rn = bp.g - %s + 1",
            [before, first],
        )
        cursor.execute("CREATE INDEX ON bench_plan (conversation_id)")
        cursor.execute(
            "CREATE TEMP TABLE bench_proto_messages AS SELECT id, "
            "row_number() OVER (ORDER BY sent_at, id) - 1 AS k FROM conversations_message "
            "WHERE conversation_id = %s",
            [proto],
        )
        cursor.execute("SELECT coalesce(max(id), 0) FROM conversations_message")
        (before_messages,) = cursor.fetchone()
        copy_rows(
            "conversations_message",
            "bench_plan s CROSS JOIN bench_proto_messages pm",
            "p.id = pm.id",
            {
                "conversation_id": "s.conversation_id",
                "channel": "s.channel",
                "external_id": "NULL",
                "author_id": "CASE WHEN p.author_id IS NULL THEN NULL ELSE s.agent_id END",
                "sent_at": "s.at + make_interval(mins => (pm.k * 3)::int)",
                "created_at": "s.at + make_interval(mins => (pm.k * 3)::int)",
            },
            order="s.g, pm.k",
        )
        cursor.execute(
            "SELECT i.id FROM conversations_insight i JOIN conversations_message m ON m.id = i.message_id "
            "WHERE m.conversation_id = %s LIMIT 1",
            [proto],
        )
        (proto_insight,) = cursor.fetchone()
        columns = ", ".join(c for c in table_columns("conversations_insight") if c != "id")
        cursor.execute(
            f"""INSERT INTO conversations_insight ({columns})
            SELECT {", ".join(_insight_exprs())}
            FROM conversations_message m JOIN bench_plan s ON s.conversation_id = m.conversation_id
            JOIN conversations_insight p ON p.id = %s
            WHERE m.id > %s AND m.direction = 'inbound'""",
            [proto_insight, before_messages],
        )
        cursor.execute(
            """INSERT INTO quality_survey (conversation_id, customer_id, agent_id, channel, status, sent_at,
                 expires_at, message_id, rating, effort, comment, comment_message_id, answered_at)
            SELECT conversation_id, customer_id, agent_id, channel, 'answered', at + interval '31 minutes',
                   at + interval '14 days', NULL, 1 + (g * 7 %% 5), 1 + (g * 3 %% 5), '', NULL,
                   at + interval '2 hours'
            FROM bench_plan WHERE g %% 4 = 0""",
            [],
        )


def _insight_exprs() -> list[str]:
    sentiments = "ARRAY['" + "','".join(SENTIMENTS) + "']"
    overrides = {
        "message_id": "m.id",
        "intent": "s.intent",
        "sentiment": f"({sentiments})[1 + ((s.g + (extract(epoch FROM m.sent_at - s.at)::int / 360)) %% 3)]",
    }
    return [overrides.get(c, f"p.{c}") for c in table_columns("conversations_insight") if c != "id"]


def recompute(*args: str) -> tuple[float, str]:
    from django.core.management import call_command

    out = StringIO()
    start = time.perf_counter()
    call_command("recompute_outcomes", *args, stdout=out)
    return time.perf_counter() - start, out.getvalue().strip()


def measure_report(supervisor) -> tuple[float, float, int, int]:
    """p50, p95 (ms) of the team report over 90 days rendered by the real view, its query count and size."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    client = Client()
    client.force_login(supervisor)
    end = timezone.localdate()
    url = f"/quality/?group=team&start={end - timedelta(days=DAYS)}&end={end}"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    samples = timed(lambda: client.get(url), REPEAT)
    p50, p95 = percentiles(samples)
    return p50, p95, len(queries), len(response.content)


def counts() -> tuple[int, int, int]:
    from dabai.conversations.models import Conversation, Message
    from dabai.quality.models import Outcome

    return Conversation.objects.count(), Message.objects.count(), Outcome.objects.count()


def main() -> None:
    fresh_postgres(os.environ.get("BENCH_QUALITY_DB", "dabai_bench_quality"))
    setup_django()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False  # measured as served, without the development query log
    small = CONVERSATIONS // 10
    print(f"quality bench: {small:,} then {CONVERSATIONS:,} closed conversations ({TURNS * 2} messages each)")
    teams, agents, supervisor = people()
    proto = prototype(agents[0])
    t = time.perf_counter()
    customer_ids = customers(CUSTOMERS)
    grow(0, small, proto, customer_ids, teams, agents)
    print(f"  generated {small:,} conversations in {time.perf_counter() - t:.1f} s")
    seconds, line = recompute()
    print(f"  full recomputation at {small:,}: {seconds:.1f} s ({line})")
    small_report = measure_report(supervisor)
    print(
        f"  team report at {small:,}: p50 {small_report[0]:.0f} ms, p95 {small_report[1]:.0f} ms, "
        f"{small_report[2]} queries"
    )

    t = time.perf_counter()
    grow(small, CONVERSATIONS, proto, customer_ids, teams, agents)
    conversations, messages, _ = counts()
    print(
        f"  grew to {conversations:,} conversations, {messages:,} messages in {time.perf_counter() - t:.1f} s"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    full, line = recompute()
    print(f"  full recomputation at {CONVERSATIONS:,}: {full:.1f} s ({line})")
    incremental, line = recompute("--days", "1")
    print(f"  incremental recomputation (one day): {incremental:.1f} s ({line})")
    p50, p95, queries, size = measure_report(supervisor)
    _, _, outcomes = counts()
    print(
        f"  team report at {CONVERSATIONS:,}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, {queries} queries "
        f"({size:,} bytes, {outcomes:,} outcomes)"
    )
    print()
    print(f"RESULT full recompute {CONVERSATIONS:,} conversations / {messages:,} messages: {full:.1f} s")
    print(f"RESULT incremental (1 day): {incremental:.1f} s")
    print(
        f"RESULT team report p95: {small_report[1]:.0f} ms at {small:,}, {p95:.0f} ms at {CONVERSATIONS:,} "
        f"(target < 500 ms: {'met' if p95 < 500 else 'MISSED'})"
    )
    print(
        f"RESULT team report queries: {small_report[2]} at {small:,}, {queries} at {CONVERSATIONS:,} "
        f"({'independent of data size' if small_report[2] == queries else 'GROWS WITH DATA'})"
    )
    print(
        f"RESULT vs Chatwoot's 200 s report calls: {CHATWOOT_SECONDS * 1000 / p95:,.0f}× faster "
        f"(target 400×: {'met' if CHATWOOT_SECONDS * 1000 / p95 >= 400 else 'MISSED'})"
    )


if __name__ == "__main__":
    sys.exit(main())
