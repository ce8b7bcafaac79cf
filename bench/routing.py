"""Routing and SLA sweep at scale on PostgreSQL.

Routes 100,000 queued conversations across 500 agents (skills, tiers, expert seats, capacity per channel) and
sweeps 100,000 open SLA clocks. Prints routing decisions per second and sweep time.
Target: routing >= 2,000 decisions/s, sweep < 2 s.
"""

import os
import time

from _django import fresh_postgres, setup_django

CONVERSATIONS = int(os.environ.get("BENCH_ROUTING_CONVERSATIONS", "100000"))
AGENTS = int(os.environ.get("BENCH_ROUTING_AGENTS", "500"))
TEAMS = 10
CUSTOMERS = CONVERSATIONS // 5
INTENTS = ["billing", "logistics", "refund_return", "account", "product_quality", "outage", "usage_inquiry"]


def fill() -> float:
    """Teams, agents with seats and skills, customers and queued conversations with their insights, in SQL."""
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO accounts_team (name, slug) "
            "SELECT '组' || g, 'team-' || g FROM generate_series(1, %s) g",
            [TEAMS],
        )
        cur.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,
                is_staff, is_active, date_joined, role, display_name)
            SELECT '!', false, 'agent' || g, '', '', '', false, true, now(), 'agent', '坐席' || g
            FROM generate_series(1, %s) g
            """,
            [AGENTS],
        )
        cur.execute(
            "INSERT INTO accounts_agentprofile (user_id, can_view_all_teams) "
            "SELECT id, false FROM accounts_user WHERE role = 'agent'"
        )
        cur.execute(
            "INSERT INTO accounts_agentprofile_teams (agentprofile_id, team_id) "
            "SELECT p.id, (SELECT min(id) FROM accounts_team) + p.user_id %% %s FROM accounts_agentprofile p",
            [TEAMS],
        )
        cur.execute(
            """
            INSERT INTO routing_agentrouting (user_id, is_expert_seat, state, default_capacity,
                channel_capacity)
            SELECT id, id %% 7 = 0, CASE WHEN id %% 25 = 0 THEN 'break' ELSE 'available' END, 60, '{}'::jsonb
            FROM accounts_user WHERE role = 'agent'
            """,
            [],
        )
        cur.execute(
            "INSERT INTO routing_skill (kind, code, name) SELECT 'intent', i, i FROM unnest(%s::text[]) i",
            [INTENTS],
        )
        cur.execute(
            """
            INSERT INTO routing_agentrouting_skills (agentrouting_id, skill_id)
            SELECT a.id, s.id FROM routing_agentrouting a JOIN routing_skill s ON (a.id + s.id) %% 3 = 0
            """,
            [],
        )
        cur.execute(
            "INSERT INTO customers_customer (display_name, tier, notes, created_at) "
            "SELECT '客户' || g, CASE WHEN g %% 10 = 0 THEN 'premium' WHEN g %% 10 > 7 THEN 'vip' "
            "ELSE 'regular' END, '', now() FROM generate_series(1, %s) g",
            [CUSTOMERS],
        )
        cur.execute(
            """
            INSERT INTO conversations_conversation (customer_id, channel, subject, status, priority,
                is_public, team_id, created_at, last_message_at, message_count, preview)
            SELECT (SELECT min(id) FROM customers_customer) + (g %% %s),
                   (ARRAY['email','chat','sms','phone','weibo','wechat'])[1 + g %% 6], '', 'open', 1, false,
                   (SELECT min(id) FROM accounts_team) + g %% %s,
                   now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval, 1,
                   '宽带又断网了，麻烦尽快派人来修'
            FROM generate_series(1, %s) g
            """,
            [CUSTOMERS, TEAMS, CONVERSATIONS],
        )
        cur.execute(
            """
            INSERT INTO conversations_message (conversation_id, direction, channel, body, raw_payload,
                sent_at, created_at, delivery_status)
            SELECT id, 'inbound', channel, preview, '{}'::jsonb, last_message_at, now(), ''
            FROM conversations_conversation
            """
        )
        cur.execute(
            """
            INSERT INTO conversations_insight (message_id, sentiment, sentiment_score, intent, voice, urgency,
                escalation_risk, is_spam, has_personal_data, masked_text, analysis, model_version, created_at)
            SELECT id, 'negative', -0.5, (%s::text[])[1 + id %% %s], '', 'normal', false, false, false, '',
                   '{}'::jsonb, 'bench', now()
            FROM conversations_message
            """,
            [INTENTS, len(INTENTS)],
        )
        cur.execute("ANALYZE")
    return time.perf_counter() - start


def fill_clocks() -> float:
    """One running first-response clock per conversation: 1 % overdue, 2 % inside the warning window."""
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO routing_slaclock (conversation_id, kind, state, target_minutes, always_open,
                started_at, due_at, warn_at, channel, tier, team_id)
            SELECT c.id, 'first_response', 'running', 30, true, now(),
                   now() + CASE WHEN c.id %% 100 = 0 THEN interval '-1 minute'
                                WHEN c.id %% 100 < 3 THEN interval '3 minutes'
                                ELSE interval '30 minutes' END,
                   now() + CASE WHEN c.id %% 100 = 0 THEN interval '-6 minutes'
                                WHEN c.id %% 100 < 3 THEN interval '-2 minutes'
                                ELSE interval '25 minutes' END,
                   c.channel, 'regular', c.team_id
            FROM conversations_conversation c
            """,
            [],
        )
        cur.execute(
            "INSERT INTO routing_conversationsla (conversation_id, next_due_at, next_kind, warn_at, "
            "is_paused, breached) "
            "SELECT conversation_id, due_at, kind, warn_at, false, false FROM routing_slaclock"
        )
        cur.execute("ANALYZE")
    return time.perf_counter() - start


def main() -> None:
    fresh_postgres("dabai_bench_routing")
    setup_django()
    from django.db.models import Count

    from dabai.conversations.models import Conversation
    from dabai.routing.models import RoutingDecision, SlaBreach
    from dabai.routing.services import route_queued, sweep_slas

    print(f"fill: {CONVERSATIONS:,} queued conversations, {AGENTS} agents in {fill():.1f} s")
    start = time.perf_counter()
    assigned = route_queued()
    elapsed = time.perf_counter() - start
    decisions = RoutingDecision.objects.count()
    queued = Conversation.objects.filter(assignee__isnull=True).count()
    print(
        f"routing: {decisions:,} decisions ({assigned:,} assigned, {queued:,} left queued) "
        f"in {elapsed:.2f} s "
        f"= {CONVERSATIONS / elapsed:,.0f} decisions/s (target >= 2,000)"
    )
    rules = RoutingDecision.objects.values_list("rule").annotate(n=Count("id")).order_by("-n")
    print("  by rule: " + ", ".join(f"{rule} {n:,}" for rule, n in rules))

    print(f"fill: {CONVERSATIONS:,} running SLA clocks in {fill_clocks():.1f} s")
    start = time.perf_counter()
    result = sweep_slas()
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = sweep_slas()
    second = time.perf_counter() - start
    print(
        f"sweep of {CONVERSATIONS:,} open SLAs: {first:.3f} s ({result.warned:,} warned, {result.breached:,} "
        f"breached and escalated); steady-state sweep {second:.3f} s ({again.breached} new) (target < 2 s)"
    )
    assert SlaBreach.objects.count() == result.breached


if __name__ == "__main__":
    main()
