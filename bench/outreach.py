"""Reaching out first at scale on PostgreSQL (issue 18).

1. Listening: 100,000 public posts against 1,000 watch terms (pyahocorasick, simplified and traditional
   forms), in poller-sized batches of 5,000, end to end: dedup against stored posts, matching, the filter
   reading every match, storing mentions and topics, opening public Weibo conversations for the negative
   ones and the burst check. Matching alone is timed too.
2. A campaign to a 100,000-customer segment: resolving the segment (tag + SMS identity), consent, the
   frequency cap and one recipient row per customer, with the query count.
3. At-risk scores for 100,000 customers (30,000 of them with recent conversations read by the filter).
4. Customers of a product or an order: the 100,000-customer segment narrowed to those who named a product
   in the last 90 days and to those who wrote one of 10,000 pasted order numbers (20,000 of them wrote about
   a product and an order), with the query count.

BENCH_OUTREACH_POSTS, BENCH_OUTREACH_CUSTOMERS override the 100,000s.
"""

import os
import random
import time

from _django import fresh_postgres, setup_django

POSTS = int(os.environ.get("BENCH_OUTREACH_POSTS", "100000"))
CUSTOMERS = int(os.environ.get("BENCH_OUTREACH_CUSTOMERS", "100000"))
TERMS = 1000
BATCH = 5000
CHARS = "宽带网络信号套餐话费流量快递物流包裹客服投诉退款手机电视光纤路由器账单会员积分门店售后维修安装师傅"
FILLER = [
    "今天天气不错，出门散步",
    "周末和朋友去吃火锅",
    "新买的耳机音质很好",
    "地铁好挤，上班迟到了",
    "这部电影值得一看",
    "楼下新开了一家面馆",
]
MENTIONS = [
    "{t}又出问题了，三天没人管，我要投诉到工信部！",
    "{t}用着还行，客服态度也不错",
    "有人知道{t}怎么办理吗",
    "{t}乱扣费，太坑了，再不退款就曝光",
]


def watch_terms(rng: random.Random) -> list[str]:
    terms: set[str] = set()
    while len(terms) < TERMS:
        terms.add(
            "".join(rng.choice(CHARS) for _ in range(rng.randint(3, 5))) + rng.choice(["", "Pro", "宝"])
        )
    return sorted(terms)


def make_posts(rng: random.Random, terms: list[str], start: int, count: int):
    from django.utils import timezone

    from dabai.listening.sources import Post

    now = timezone.now()
    posts = []
    for n in range(start, start + count):
        if rng.random() < 0.1:
            text = rng.choice(MENTIONS).format(t=rng.choice(terms))
        else:
            text = rng.choice(FILLER) + str(n)
        posts.append(
            Post(
                key=f"weibo:b{n}",
                origin="weibo",
                text=text,
                published_at=now - timedelta_minutes(rng.randint(0, 60 * 24 * 7)),
                author_id=str(8_000_000 + n % 40_000),
                author_name=f"网友{n % 40_000}",
                author_followers=rng.randint(0, 100_000),
                reposts=rng.randint(0, 500),
            )
        )
    return posts


def timedelta_minutes(minutes: int):
    from datetime import timedelta

    return timedelta(minutes=minutes)


def bench_listening(rng: random.Random) -> None:
    from dabai.listening import services
    from dabai.listening.models import Mention, Watchlist, WatchTerm

    terms = watch_terms(rng)
    watchlist = Watchlist.objects.create(name="bench")
    WatchTerm.objects.bulk_create([WatchTerm(watchlist=watchlist, term=t) for t in terms])
    batches = [make_posts(rng, terms, start, min(BATCH, POSTS - start)) for start in range(0, POSTS, BATCH)]
    matcher = services.matcher()
    began = time.perf_counter()
    matched = sum(1 for batch in batches for post in batch if matcher.match(post.text)[0])
    match_seconds = time.perf_counter() - began
    began = time.perf_counter()
    stored = opened = 0
    for batch in batches:
        report = services.ingest(batch)
        stored += report.stored
        opened += report.conversations
    seconds = time.perf_counter() - began
    print(
        f"listening: {POSTS:,} posts x {TERMS:,} watch terms ({matcher.size:,} script forms in the automaton)"
    )
    print(f"  matching alone: {POSTS / match_seconds:,.0f} posts/s ({matched:,} matched)")
    print(
        f"  end to end with the filter on every match: {seconds:.1f} s = {POSTS / seconds:,.0f} posts/s; "
        f"{stored:,} mentions stored, {opened:,} public conversations opened"
    )
    again = time.perf_counter()
    services.ingest(batches[0])
    print(f"  a batch of {BATCH:,} seen again: {time.perf_counter() - again:.2f} s (stored once)")
    assert Mention.objects.count() == stored


def bench_segment(rng: random.Random) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dabai.core.choices import Channel
    from dabai.customers.models import ChannelIdentity, Customer, CustomerTag
    from dabai.outreach.models import Recipient
    from dabai.outreach.services import campaigns

    tag = CustomerTag.objects.create(name="bench-segment")
    began = time.perf_counter()
    customers = Customer.objects.bulk_create(
        [Customer(display_name=f"客户{n}") for n in range(CUSTOMERS)], batch_size=5000
    )
    ChannelIdentity.objects.bulk_create(
        [
            ChannelIdentity(customer=c, channel=Channel.SMS, external_id=f"15{n:09d}")
            for n, c in enumerate(customers)
        ],
        batch_size=5000,
    )
    Customer.tags.through.objects.bulk_create(
        [Customer.tags.through(customer_id=c.pk, customertag_id=tag.pk) for c in customers], batch_size=5000
    )
    print(f"segment: {CUSTOMERS:,} customers created in {time.perf_counter() - began:.1f} s (set-up)")
    campaign = campaigns.create_campaign(
        actor=None, name="bench", segment={"tags": [tag.name]}, sms_text="{name}您好，宽带提速"
    )
    campaigns.schedule(campaign, None)
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        queued = campaigns.start(campaign)
        seconds = time.perf_counter() - began
    pending = Recipient.objects.filter(campaign=campaign, status="pending").count()
    print(
        f"  resolved and queued {queued:,} recipients ({pending:,} waiting to send) in {seconds:.1f} s "
        f"with {len(queries.captured_queries)} queries"
    )


def bench_scores(rng: random.Random) -> None:
    from django.utils import timezone

    from dabai.conversations.models import Conversation, Direction, Insight, Message
    from dabai.customers.models import Customer
    from dabai.outreach.services import health

    now = timezone.now()
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:CUSTOMERS])
    active = ids[: int(len(ids) * 0.3)]
    began = time.perf_counter()
    conversations = Conversation.objects.bulk_create(
        [
            Conversation(customer_id=c, channel="sms", last_message_at=now, message_count=1)
            for c in active
            for _ in range(rng.choice((1, 2, 3)))
        ],
        batch_size=5000,
    )
    messages = Message.objects.bulk_create(
        [
            Message(
                conversation=c, direction=Direction.INBOUND, channel="sms", body="宽带又断了", sent_at=now
            )
            for c in conversations
        ],
        batch_size=5000,
    )
    Insight.objects.bulk_create(
        [
            Insight(
                message=m,
                sentiment=rng.choice(["negative", "neutral", "negative", "positive"]),
                intent=rng.choice(["outage", "billing", "cancellation", "other"]),
                urgency="normal",
                escalation_risk=rng.random() < 0.1,
                model_version="bench",
            )
            for m in messages
        ],
        batch_size=5000,
    )
    print(
        f"scores: {len(conversations):,} conversations for {len(active):,} customers "
        f"set up in {time.perf_counter() - began:.1f} s"
    )
    began = time.perf_counter()
    rows = health.compute_scores()
    first = time.perf_counter() - began
    began = time.perf_counter()
    health.compute_scores()
    second = time.perf_counter() - began
    print(
        f"  at-risk scores for {len(ids):,} customers: {rows:,} scored in {first:.1f} s "
        f"(again, unchanged: {second:.1f} s)"
    )


def bench_mentions(rng: random.Random) -> None:
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dabai.conversations.models import Conversation, Direction, Insight, Message
    from dabai.customers.models import Customer
    from dabai.outreach.services import campaigns

    now = timezone.now()
    ids = list(Customer.objects.order_by("-pk").values_list("pk", flat=True)[: CUSTOMERS // 5])
    began = time.perf_counter()
    products = ["路由器", "光猫", "机顶盒", "智能音箱"]
    conversations = Conversation.objects.bulk_create(
        [Conversation(customer_id=c, channel="sms", last_message_at=now, message_count=1) for c in ids],
        batch_size=5000,
    )
    said = [(rng.choice(products), f"DD{n:010d}", rng.randint(0, 120)) for n in range(len(ids))]
    messages = Message.objects.bulk_create(
        [
            Message(
                conversation=c,
                direction=Direction.INBOUND,
                channel="sms",
                body=f"我买的{product}坏了，订单号{order}怎么处理",
                sent_at=now - timedelta(days=days),
            )
            for c, (product, order, days) in zip(conversations, said, strict=True)
        ],
        batch_size=5000,
    )
    Insight.objects.bulk_create(
        [
            Insight(
                message=m,
                sentiment="negative",
                intent="product_quality",
                urgency="normal",
                model_version="bench",
                analysis={
                    "entities": [
                        {"kind": "product", "text": product},
                        {"kind": "order_number", "text": order},
                    ]
                },
            )
            for m, (product, order, _days) in zip(messages, said, strict=True)
        ],
        batch_size=5000,
    )
    setup = time.perf_counter() - began
    print(f"mentions: {len(ids):,} customers wrote about a product and an order (set-up {setup:.1f} s)")
    orders = [order for _product, order, _days in said[::2]]
    for name, segment in (
        ("named 路由器 in 90 days", {"tags": ["bench-segment"], "products": ["路由器"], "mention_days": 90}),
        (f"wrote one of {len(orders):,} order numbers", {"tags": ["bench-segment"], "order_numbers": orders}),
    ):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            found = campaigns.segment_customers(segment)
            seconds = time.perf_counter() - began
        print(
            f"  {CUSTOMERS:,}-customer segment, {name}: {len(found):,} customers in {seconds:.1f} s "
            f"with {len(queries.captured_queries)} queries"
        )


def main() -> None:
    fresh_postgres("h_outreach_bench")
    setup_django()
    rng = random.Random(18)
    bench_listening(rng)
    bench_segment(rng)
    bench_scores(rng)
    bench_mentions(rng)


if __name__ == "__main__":
    main()
