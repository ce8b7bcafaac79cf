"""Social listening in the demo centre: a brand watchlist, a dozen public posts found, one burst alert."""

import random
from datetime import timedelta

from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity
from dabai.listening import services
from dabai.listening.models import WatchKind, Watchlist, WatchTerm
from dabai.listening.sources import Post

WATCH = {
    ("品牌", WatchKind.BRAND): [("大白", "dabai\n大白电信\n大白客服")],
    ("产品", WatchKind.PRODUCT): [("千兆宽带", "大白宽带\n光宽带"), ("大白5G套餐", "5G套餐")],
    ("高管", WatchKind.EXECUTIVE): [("白总", "白志远")],
    ("投诉用语", WatchKind.COMPLAINT): [("断网", "掉线\n上不了网"), ("乱扣费", "多扣费\n扣费不明")],
}
POSTS = [
    "大白宽带又断网了，三天没人来修，客服电话一直占线，再不处理我就投诉到工信部！",
    "大白电信乱扣费，我的5G套餐莫名其妙多扣了80块，有没有人管？",
    "千兆宽带装好了，师傅很专业，速度也快，给大白点个赞",
    "大白宽帶今天又掉線了，打遊戲一直斷",
    "听说白总今天在发布会上说要降价，期待大白5G套餐",
    "大白客服态度太差了，问三次都说不清楚，准备去黑猫投诉",
    "大白宽带晚上八点以后就上不了网，这是第几次了",
]


def seed_demo(world) -> None:
    rng = random.Random(world.seed + 18)
    # The authors are demo customers (their Weibo accounts), so the demo's customer list stays as built.
    authors = list(
        ChannelIdentity.objects.filter(customer__in=world.customers, channel=Channel.WEIBO)
        .order_by("pk")
        .values_list("external_id", "handle")
    ) or [("7000000", "路人甲")]
    for (name, kind), terms in WATCH.items():
        watchlist = Watchlist.objects.create(name=name, kind=kind)
        WatchTerm.objects.bulk_create(
            [WatchTerm(watchlist=watchlist, term=term, synonyms=synonyms) for term, synonyms in terms]
        )
    posts = []
    for n, text in enumerate(POSTS):
        posts.append(
            Post(
                key=f"weibo:demo-{n}",
                origin="weibo",
                text=text,
                published_at=world.now - timedelta(hours=rng.randint(2, 72)),
                url=f"https://weibo.com/{authors[n % len(authors)][0]}/demo{n}",
                author_id=authors[n % len(authors)][0],
                author_name=authors[n % len(authors)][1].lstrip("@"),
                author_followers=rng.choice([120, 860, 5_400, 23_000, 186_000]),
                author_verified=n % 3 == 0,
                author_description=rng.choice(["数码博主", "科技爱好者", "普通上班族"]),
                reposts=rng.randint(0, 900),
                comments=rng.randint(0, 300),
                likes=rng.randint(0, 2000),
            )
        )
    # A burst: a dozen posts about dropped connections in the last hour.
    for n in range(12):
        posts.append(
            Post(
                key=f"weibo:demo-burst-{n}",
                origin="weibo",
                text=rng.choice(["朝阳区大白宽带断网了吗？", "大白宽带全挂了，上不了网", "大白断网一小时了"]),
                published_at=world.now - timedelta(minutes=rng.randint(1, 55)),
                author_id=authors[(n + 3) % len(authors)][0],
                author_name=authors[(n + 3) % len(authors)][1].lstrip("@"),
                author_followers=rng.randint(10, 3000),
                reposts=rng.randint(0, 40),
            )
        )
    services.ingest(posts, now=world.now)
