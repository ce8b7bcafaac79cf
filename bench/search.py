"""Chinese search at scale: 100,000 articles and messages on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

For each database: indexing throughput (segmentation + insert, documents per second) and query latency
(p50/p95) for realistic customer questions, through the same search service the help centre, bot and desk
use. The baseline, run in the same process on the same rows, is a naive ``LIKE '%word%'`` scan over the
stored text (what a search box without an index does). Target: p95 < 50 ms on both databases.

Each database runs in its own child process (Django is configured once per process).
"""

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _django import fresh_postgres, percentiles, setup_django, timed

DOCUMENTS = int(os.environ.get("BENCH_SEARCH_DOCUMENTS", "100000"))
ARTICLE_SHARE = 20  # one document in 20 is a (public) article, the rest are messages
BATCH = 2000
QUERIES = [
    "退款多久到账",
    "退钱多久能到",
    "我的快遞到哪了",
    "包裹一直没到",
    "ｗｉｆｉ断了 宽带上不了网",
    "密码忘了",
    "怎么开发票",
    "话费怎么多扣了20元",
    "收到的东西坏了",
    "换绑定手机号",
    "發貨後可以改收貨地址嗎",
    "手机没信号打不了电话",
    "想加个流量包",
    "会员自动续费怎么取消",
    "国际漫游怎么开通",
    "客服态度太差了",
    "账户被冻结了",
    "路由器怎么设置WiFi密码",
    "订单显示已签收但没收到",
    "电饭煲跳闸质量问题",
]


def corpus(n: int, seed: int = 8) -> list[tuple[str, str, bool]]:
    """Deterministic documents built from the demo's message templates and the sample help centre."""
    from dabai.demo.builder import ESCALATIONS, REPLIES, TEMPLATES
    from dabai.knowledge.demo import ARTICLES

    rng = random.Random(seed)
    sentences = [s for a in ARTICLES for s in a[4].replace("。", "。\n").splitlines() if s.strip()]
    products = [
        "耳机",
        "路由器",
        "电饭煲",
        "冰箱",
        "手机",
        "套餐",
        "宽带",
        "会员",
        "机顶盒",
        "洗衣机",
        "空调",
        "显示器",
    ]
    docs = []
    for i in range(n):
        if i % ARTICLE_SHARE == 0:
            title = f"{rng.choice(products)}{rng.choice(ARTICLES)[2]}"
            body = "".join(rng.sample(sentences, 4))
            docs.append((title, body, True))
            continue
        text = rng.choice(TEMPLATES)[1].format(
            amount=rng.randint(5, 500),
            order=f"DD{rng.randint(10**9, 10**10)}",
            days=f"{rng.randint(2, 9)}天",
            date="上周",
            phone="138****5678",
        )
        extra = (
            rng.choice(REPLIES)
            if rng.random() < 0.3
            else rng.choice(ESCALATIONS)
            if rng.random() < 0.1
            else ""
        )
        docs.append(("", f"{rng.choice(products)}：{text}{extra}", False))
    return docs


def index(docs: list[tuple[str, str, bool]]) -> tuple[float, float]:
    """Segment and insert every document; returns (segmentation seconds, insert seconds)."""
    from django.db import transaction

    from dabai.knowledge.models import SearchEntry
    from dabai.knowledge.search import entry_fields, forget_statistics

    segment_s = insert_s = 0.0
    for start in range(0, len(docs), BATCH):
        t0 = time.perf_counter()
        rows = [
            SearchEntry(
                kind=SearchEntry.Kind.ARTICLE if public else SearchEntry.Kind.MESSAGE,
                object_id=start + i + 1,
                **entry_fields(title, body, public=public),
            )
            for i, (title, body, public) in enumerate(docs[start : start + BATCH])
        ]
        t1 = time.perf_counter()
        with transaction.atomic():
            SearchEntry.objects.bulk_create(rows)
        t2 = time.perf_counter()
        segment_s += t1 - t0
        insert_s += t2 - t1
    forget_statistics()
    return segment_s, insert_s


def like_baseline(query: str) -> int:
    """What a search box without an index does: LIKE over every row for each query word (all matches,
    which ranking needs)."""
    from django.db.models import Q

    from dabai.knowledge.models import SearchEntry
    from dabai.knowledge.search import parse_query

    condition = Q()
    for term in parse_query(query):
        for alt in term.alternatives:
            condition |= Q(body_tokens__contains=" ".join(alt)) | Q(title_tokens__contains=" ".join(alt))
    return len(SearchEntry.objects.filter(condition).values_list("id", flat=True))


def run(backend: str) -> None:
    if backend == "postgres":
        fresh_postgres("dabai_bench_search")
    else:
        os.environ.pop("DATABASE_URL", None)
        var = tempfile.mkdtemp(prefix="dabai-bench-search-")
        os.environ["DABAI_VAR_DIR"] = var
    setup_django()
    from django.db import connection

    from dabai.knowledge.demo import SYNONYMS
    from dabai.knowledge.models import SearchEntry, Synonym
    from dabai.knowledge.search import search

    for words in SYNONYMS:
        Synonym.objects.create(words=words)
    docs = corpus(DOCUMENTS)
    segment_s, insert_s = index(docs)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE knowledge_searchentry")
    total = segment_s + insert_s
    vendor = connection.vendor
    print(
        f"[{vendor}] indexed {len(docs):,} documents in {total:.1f} s = {len(docs) / total:,.0f} docs/s "
        f"(segmentation {len(docs) / segment_s:,.0f}/s, database insert {len(docs) / insert_s:,.0f}/s)"
    )
    scopes = {
        "help centre (public articles)": {"kinds": (SearchEntry.Kind.ARTICLE,), "public_only": True},
        "desk (all 100k articles + messages)": {
            "kinds": (SearchEntry.Kind.ARTICLE, SearchEntry.Kind.MESSAGE),
            "public_only": False,
        },
    }
    worst = 0.0
    for label, scope in scopes.items():
        for q in QUERIES:
            search(q, **scope)
        samples = [t for q in QUERIES for t in timed(lambda q=q, scope=scope: search(q, **scope), 5)]
        p50, p95 = percentiles(samples)
        worst = max(worst, p95)
        print(f"[{connection.vendor}] {label:38} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
    base = [t for q in QUERIES[:8] for t in timed(lambda q=q: like_baseline(q), 2)]
    b50, b95 = percentiles(base)
    print(
        f"[{connection.vendor}] baseline LIKE scan (no index)          p50 {b50:6.1f} ms   p95 {b95:6.1f} ms"
    )
    verdict = "PASS" if worst < 50 else "FAIL"
    print(
        f"[{vendor}] worst p95 {worst:.1f} ms (target < 50 ms): {verdict}; "
        f"{b95 / worst:.1f}x faster than the LIKE baseline at p95"
    )


def main() -> None:
    if len(sys.argv) > 1:
        run(sys.argv[1])
        return
    for backend in ("sqlite", "postgres"):
        subprocess.run([sys.executable, str(Path(__file__).resolve()), backend], check=True)


if __name__ == "__main__":
    main()
