"""Inbox speed at scale: 1,000,000 messages in 100,000 conversations on PostgreSQL.

Times the inbox list (several filters) and a conversation page through Django's test client and prints
p50/p95 plus SQL queries per page, for two page sizes to show the query count does not grow with them.
Target: p95 < 150 ms, query count independent of page size.
"""

import os
import time

from _django import fresh_postgres, percentiles, setup_django, timed

CONVERSATIONS = int(os.environ.get("BENCH_CONVERSATIONS", "100000"))
MESSAGES_PER_CONVERSATION = int(os.environ.get("BENCH_MESSAGES_PER_CONVERSATION", "10"))
CUSTOMERS = CONVERSATIONS // 5


def fill() -> float:
    """Insert the data set with set-based SQL (generate_series): minutes of ORM work in seconds."""
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO accounts_team (name, slug) VALUES ('热线组', 'hotline'), ('在线组', 'online')"
        )
        cur.execute(
            "INSERT INTO customers_customer (display_name, tier, notes, created_at) "
            "SELECT '客户' || g, CASE WHEN g %% 10 = 0 THEN 'vip' ELSE 'regular' END, '', now() "
            "FROM generate_series(1, %s) g",
            [CUSTOMERS],
        )
        cur.execute(
            "INSERT INTO customers_channelidentity (customer_id, channel, external_id, handle, created_at) "
            "SELECT id, 'phone', '138' || lpad(id::text, 8, '0'), '', now() FROM customers_customer"
        )
        cur.execute(
            """
            INSERT INTO conversations_conversation (customer_id, channel, subject, status, priority,
                is_public, team_id, created_at, last_message_at, message_count, preview)
            SELECT (SELECT min(id) FROM customers_customer) + (g %% %s),
                   (ARRAY['email','chat','sms','phone','weibo','wechat'])[1 + g %% 6], '',
                   (ARRAY['open','pending','resolved','closed'])[1 + (g / 7) %% 4], 1, false,
                   (SELECT min(id) FROM accounts_team) + g %% 2,
                   now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval, %s,
                   '宽带又断网了，麻烦尽快派人来修'
            FROM generate_series(1, %s) g
            """,
            [CUSTOMERS, MESSAGES_PER_CONVERSATION, CONVERSATIONS],
        )
        cur.execute(
            """
            INSERT INTO conversations_message (conversation_id, direction, channel, external_id, body,
                raw_payload, sent_at, created_at, delivery_status)
            SELECT c.id, CASE WHEN m %% 2 = 0 THEN 'inbound' ELSE 'outbound' END, c.channel,
                   CASE WHEN m %% 2 = 0 THEN 'bench-' || c.id || '-' || m END,
                   '您好，我的订单DD2026' || c.id || '已经三天没有物流更新了，请帮忙查一下。', '{}'::jsonb,
                   c.last_message_at - ((%s - m) || ' minutes')::interval, now(),
                   CASE WHEN m %% 2 = 0 THEN '' ELSE 'sent' END
            FROM conversations_conversation c, generate_series(1, %s) m
            """,
            [MESSAGES_PER_CONVERSATION, MESSAGES_PER_CONVERSATION],
        )
        cur.execute("ANALYZE")
    return time.perf_counter() - start


def main() -> None:
    fresh_postgres("dabai_bench_inbox")
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dabai.accounts.models import Role, Team
    from dabai.accounts.services import create_staff_user
    from dabai.conversations.models import Conversation, Message

    settings.ALLOWED_HOSTS = ["*"]
    seconds = fill()
    print(
        f"filled {Message.objects.count():,} messages in {Conversation.objects.count():,} conversations "
        f"in {seconds:.1f} s"
    )
    agent = create_staff_user(
        "bench-agent", "bench-password-1", Role.AGENT, teams=[Team.objects.get(slug="hotline")]
    )
    client = Client()
    client.force_login(agent)
    conversation_id = (
        Conversation.objects.filter(team__slug="hotline").order_by("-last_message_at").first().pk
    )
    pages = {
        "inbox (open, default)": "/inbox/",
        "inbox (all statuses, page 200)": "/inbox/?status=&page=200",
        "inbox (weibo, mine/team)": "/inbox/?channel=weibo&scope=team",
        "inbox (search by phone)": "/inbox/?status=&q=13800000042",
        "conversation page": f"/inbox/{conversation_id}/",
    }
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    worst_p95 = 0.0
    for label, url in pages.items():
        for _ in range(3):
            assert client.get(url).status_code == 200, url
        p50, p95 = percentiles(timed(lambda url=url: client.get(url), 40))
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        worst_p95 = max(worst_p95, p95)
        print(f"{label:34} {p50:8.1f} {p95:8.1f} {len(queries):8d}")
    counts = {}
    for size in (10, 100):
        settings.DABAI["INBOX_PAGE_SIZE"] = size
        with CaptureQueriesContext(connection) as queries:
            client.get("/inbox/")
        counts[size] = len(queries)
    print(
        f"queries per inbox page: {counts[10]} at 10 rows, {counts[100]} at 100 rows "
        f"({'independent of page size' if counts[10] == counts[100] else 'GROWS with page size'})"
    )
    print(f"worst p95 {worst_p95:.1f} ms (target < 150 ms): {'PASS' if worst_p95 < 150 else 'FAIL'}")


if __name__ == "__main__":
    main()
