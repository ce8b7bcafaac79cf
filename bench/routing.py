"""Routing and SLA sweep on PostgreSQL: routing's share of a drained batch, and routing at scale.

Part ``batch``: the demo centre (teams, agents with skills and expert seats, tiers, SLA policies, a history
with open, pending and resolved work), then batches as the drain stores them: ``receive_messages`` and
``store_insights`` (the shipped filter's readings) in one transaction, rolled back after each run so every run
sees the same centre. The mix: mostly returning customers writing into their open conversations (some twice
in one batch), some waiting on the customer (their paused clocks resume), new conversations of known
customers, first contacts, and a few complaints (a regulator named, escalation). Prints per batch size the
time and queries of routing's two receivers (clocks on arrival, routing and complaints on insights), the
after-commit callbacks they leave, and the whole store for scale. BENCH_ROUTING_PROFILE=1 adds a cProfile of
the receivers; BENCH_ROUTING_TRIALS (default 7) runs per size; BENCH_ROUTING_SIZES (default "50,200") the
sizes; BENCH_ROUTING_REUSE=1 keeps the demo centre an earlier run built.

Part ``scale``: routes 100,000 queued conversations across 500 agents (skills, tiers, expert seats, capacity
per channel) and sweeps 100,000 open SLA clocks. Target: routing >= 2,000 decisions/s, sweep < 2 s.

BENCH_ROUTING_PARTS picks the parts (default "batch,scale").
"""

import cProfile
import io
import logging
import os
import pstats
import random
import statistics
import time
from collections.abc import Callable

from _django import fresh_postgres, setup_django

PARTS = set(os.environ.get("BENCH_ROUTING_PARTS", "batch,scale").split(","))
TRIALS = int(os.environ.get("BENCH_ROUTING_TRIALS", "7"))
PROFILE = os.environ.get("BENCH_ROUTING_PROFILE", "0") == "1"
# Keep the demo centre of an earlier run (while iterating: building it takes a minute); batches roll back.
REUSE = os.environ.get("BENCH_ROUTING_REUSE", "0") == "1"
# The drain takes 200 messages a batch, up to 400 behind a backlog.
BATCH_SIZES = tuple(int(n) for n in os.environ.get("BENCH_ROUTING_SIZES", "50,200").split(","))
DEMO_CUSTOMERS, DEMO_CONVERSATIONS = 3000, 4000
TEXTS = [
    "我的快递三天没动了，到底什么时候能到？",
    "宽带又断了，师傅什么时候上门",
    "你好，请问发票怎么开",
    "退款一周了还没到账，你们太不负责了！",
    "谢谢你们的耐心解答，问题已经解决了",
    "订单 20261125 的冰箱送错了型号",
    "APP 登录不上去，一直提示网络错误",
    "话费怎么多扣了88元？请核实",
]
COMPLAINTS = [
    "话费多扣了50元，再不退我就投诉到工信部",
    "宽带断网两天了，打了三次电话都没人管，我要去12315投诉你们！",
]

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
            "INSERT INTO customers_customer (display_name, tier, notes, created_at, gender, is_probe) "
            "SELECT '客户' || g, CASE WHEN g %% 10 = 0 THEN 'premium' WHEN g %% 10 > 7 THEN 'vip' "
            "ELSE 'regular' END, '', now(), '', false FROM generate_series(1, %s) g",
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


# ------------------------------------------------------------------------------------------ part "batch"


class Measured:
    """Wraps one of routing's batch receivers: wall time, queries and after-commit callbacks per call."""

    def __init__(self, module, name: str) -> None:
        self.module, self.name = module, name
        self.inner: Callable = getattr(module, name)
        self.calls: list[tuple[float, int, int]] = []
        self.profile = cProfile.Profile() if PROFILE else None
        self.__name__ = name
        setattr(module, name, self)

    def __call__(self, items) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        callbacks = len(connection.run_on_commit)
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            if self.profile is not None:
                self.profile.runcall(self.inner, items)
            else:
                self.inner(items)
            elapsed = time.perf_counter() - start
        self.calls.append((elapsed, len(captured), len(connection.run_on_commit) - callbacks))


class Errors(logging.Handler):
    """Counts routing's logged errors: a batch that fell back to one item at a time would not be measured."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def batch_items(size: int, seed: int):
    """``size`` inbound messages in the mix described above, and the shipped filter's reading per text."""
    from dabai.conversations.models import Conversation, Status
    from dabai.conversations.services import Inbound
    from dabai.core.choices import Channel
    from dabai.customers.models import Customer
    from dabai.customers.services import Handle

    rng = random.Random(seed)
    active = list(
        Conversation.objects.filter(status__in=[Status.OPEN, Status.PENDING], merged_into__isnull=True)
        .select_related("customer")
        .order_by("id")
    )
    open_ = [c for c in active if c.status == Status.OPEN]
    pending = [c for c in active if c.status == Status.PENDING]
    busy = {(c.customer_id, c.channel) for c in active}
    customers = list(Customer.objects.order_by("id"))
    channels = [Channel.SMS, Channel.WECHAT, Channel.EMAIL, Channel.PHONE, Channel.CHAT]
    items = []
    for i in range(size):
        roll = rng.random()
        text = rng.choice(COMPLAINTS) if rng.random() < 0.05 else rng.choice(TEXTS)
        if roll < 0.55:  # a returning customer writes into an open conversation (some twice in the batch)
            c = rng.choice(open_[: max(1, size // 2)])
            items.append(Inbound(channel=c.channel, body=text, customer=c.customer, is_public=c.is_public))
        elif roll < 0.70:  # the customer we were waiting on answers: paused clocks resume
            c = rng.choice(pending)
            items.append(Inbound(channel=c.channel, body=text, customer=c.customer, is_public=c.is_public))
        elif roll < 0.90:  # a known customer opens a new conversation
            while True:
                customer, channel = rng.choice(customers), rng.choice(channels)
                if (customer.pk, channel) not in busy:
                    break
            items.append(Inbound(channel=channel, body=text, customer=customer, subject=f"问题 {i}"))
        else:  # first contact
            number = f"139{rng.randrange(10**8):08d}"
            items.append(Inbound(channel=Channel.SMS, body=text, handle=Handle(Channel.SMS, number)))
    return items


def readings_for(messages, cache: dict):
    from dabai.conversations.filtering import current_model
    from dabai.filter import analyse_many

    missing = sorted({m.body for m in messages} - set(cache))
    for body, analysis in zip(
        missing, analyse_many([(b, "sms") for b in missing], model=current_model()), strict=True
    ):
        cache[body] = {**analysis.to_dict(), "uncertain": list(analysis.uncertain)}
    return [(m, cache[m.body]) for m in messages]


def run_batch(size: int, seed: int, cache: dict) -> tuple[float, float, int, int, int]:
    """One drained batch, rolled back: (store seconds, insights seconds, new clocks, routing decisions,
    complaint cases)."""
    from django.db import transaction

    from dabai.conversations.services import receive_messages, store_insights
    from dabai.routing.models import ComplaintCase, RoutingDecision, SlaClock

    items = batch_items(size, seed)
    with transaction.atomic():
        clocks, decisions = SlaClock.objects.count(), RoutingDecision.objects.count()
        cases = ComplaintCase.objects.count()
        start = time.perf_counter()
        received = receive_messages(items, analyse=False)
        stored = time.perf_counter() - start
        readings = readings_for([r.message for r in received], cache)
        start = time.perf_counter()
        store_insights(readings)
        read = time.perf_counter() - start
        clocks, decisions = SlaClock.objects.count() - clocks, RoutingDecision.objects.count() - decisions
        cases = ComplaintCase.objects.count() - cases
        transaction.set_rollback(True)
    return stored, read, clocks, decisions, cases


def reuse(name: str) -> str:
    """Point DATABASE_URL at database ``name`` as an earlier run left it (created if missing)."""
    import psycopg

    base = os.environ["TEST_DATABASE_URL"]
    with psycopg.connect(base, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    os.environ["DATABASE_URL"] = url
    return url


def batch_part() -> None:
    from django.db import connection
    from django.db.models import Count

    from dabai.conversations.models import Conversation
    from dabai.demo.builder import DemoBuilder
    from dabai.routing import receivers
    from dabai.routing.models import ClockState, SlaClock

    start = time.perf_counter()
    if not Conversation.objects.exists():
        DemoBuilder(customers=DEMO_CUSTOMERS, conversations=DEMO_CONVERSATIONS, app_parts=False).build()
    statuses = dict(Conversation.objects.values_list("status").annotate(n=Count("id")).order_by())
    paused = SlaClock.objects.filter(state=ClockState.PAUSED).values("conversation").distinct().count()
    print(
        f"demo centre: {DEMO_CUSTOMERS:,} customers, {DEMO_CONVERSATIONS:,} conversations {statuses}, "
        f"{paused} waiting on the customer (paused clocks), in {time.perf_counter() - start:.1f} s"
    )
    errors = Errors()
    logging.getLogger("dabai.routing").addHandler(errors)
    cache: dict = {}
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    run_batch(200, 0, cache)  # warm the filter, the calendars and the query plans
    for size in BATCH_SIZES:
        arrivals = Measured(receivers, "start_clocks_on_arrival")
        insights = Measured(receivers, "act_on_insights")
        whole = [run_batch(size, seed, cache) for seed in range(1, TRIALS + 1)]
        receivers.start_clocks_on_arrival, receivers.act_on_insights = arrivals.inner, insights.inner
        print(
            f"batch of {size} ({TRIALS} runs, medians; the first started {whole[0][2]} clocks, made "
            f"{whole[0][3]} routing decisions and opened {whole[0][4]} complaint cases):"
        )
        for label, measured in (("clocks on arrival", arrivals), ("routing on insights", insights)):
            times = [t for t, _, _ in measured.calls]
            queries = sorted({q for _, q, _ in measured.calls})
            callbacks = sorted({c for _, _, c in measured.calls})
            print(
                f"  {label:20} {statistics.median(times) * 1000:7.1f} ms "
                f"(min {min(times) * 1000:.1f}), queries {queries}, after-commit callbacks {callbacks}"
            )
        total = [(a[0] + b[0]) for a, b in zip(arrivals.calls, insights.calls, strict=True)]
        print(
            f"  {'routing, both':20} {statistics.median(total) * 1000:7.1f} ms; whole store "
            f"{statistics.median(w[0] for w in whole) * 1000:.1f} ms, store_insights "
            f"{statistics.median(w[1] for w in whole) * 1000:.1f} ms"
        )
        if PROFILE:
            for label, measured in (("clocks on arrival", arrivals), ("routing on insights", insights)):
                out = io.StringIO()
                pstats.Stats(measured.profile, stream=out).sort_stats("cumulative").print_stats(25)
                print(f"-- cProfile, {label}, batch of {size} ({TRIALS} runs)\n{out.getvalue()}")
    if errors.count:
        print(f"  !! routing logged {errors.count} errors: a batch fell back to one item at a time")


# ------------------------------------------------------------------------------------------ part "scale"


def scale_part() -> None:
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


def main() -> None:
    if "batch" in PARTS:
        (reuse if REUSE else fresh_postgres)("dabai_bench_routing_batch")
        setup_django()
        batch_part()
    if "scale" in PARTS:
        fresh_postgres("dabai_bench_routing")
        setup_django()
        scale_part()


if __name__ == "__main__":
    main()
