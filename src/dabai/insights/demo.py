"""The portal's part of the demo centre: nine weeks of history with trends and one emerging issue (App crashes
after the latest update, in the last six days), a few defined topics, discovered topics, the day's stored
emerging issues, two news items, and the product department following topics.

History goes through ``conversations.services.record_history`` (one set-wise write, the filter reads every
customer message), the case index and topics through this app's services; deterministic (seeded).
"""

from __future__ import annotations

import random
from datetime import timedelta

from dabai.conversations.models import Direction, Status
from dabai.conversations.services import PastConversation, PastMessage, record_history

WEEKS = 9
# (theme, weight per week, texts); "{n}" is a small number, "{p}" a product
STEADY = [
    (
        "broadband",
        14,
        [
            "家里宽带又断网了，路由器灯一直红",
            "宽带晚上老是掉线，打游戏卡得不行",
            "光猫显示LOS红灯，上不了网",
            "宽带断网{n}天了，报修一直没人上门",
        ],
    ),
    (
        "refund",
        12,
        ["退款申请了{n}天还没到账", "退货寄回去一周了，退款什么时候到", "取消订单后退款一直没到账，怎么回事"],
    ),
    (
        "delivery",
        12,
        ["快递{n}天还没到，物流一直不更新", "包裹显示签收了但我没收到", "订单一直显示运输中，能帮忙催一下吗"],
    ),
    ("invoice", 6, ["电子发票怎么开", "发票抬头开错了，能重开吗", "申请的发票一直没收到邮件"]),
    ("billing", 7, ["这个月话费怎么多扣了{n}元", "套餐外流量收费太贵了，要求解释", "自动续费扣款了我不知道"]),
    ("praise", 5, ["客服小姐姐很耐心，问题解决了，谢谢", "师傅上门很及时，非常满意", "处理速度很快，点赞"]),
    ("product", 6, ["{p}用了两周就坏了，要求换货", "{p}充不进电，是不是质量问题", "{p}屏幕有坏点，怎么保修"]),
]
BURST = [
    "App更新到新版后一直闪退，根本打不开",
    "新版App一登录就闪退，太气人了！",
    "更新App以后闪退，订单都看不了，我要投诉",
    "手机App升级后闪退好几次了，赶紧修复",
    "昨天更新了App，现在打开就闪退",
]
PRODUCTS = ["路由器", "光猫", "耳机", "电饭煲", "手机"]
REPLIES = [
    "您好，已为您登记，我们会尽快处理。",
    "非常抱歉给您带来不便，已转交相关部门跟进。",
    "感谢反馈，已为您处理。",
]
CHANNELS = ["phone", "chat", "wechat", "email", "weibo", "sms"]
DEFINED = [
    ("宽带断网", "宽带断网, 断网, 掉线\n上不了网, 没网", "光猫显示LOS红灯，上不了网"),
    ("退款到账慢", "退款没到账, 还没到账, 退款一直没到\n退款什么时候到", ""),
    ("发票问题", "发票, 开票, 抬头", ""),
]
NEWS = [
    (
        "App 5.2 版本已发布：新版登录流程",
        "产品部本周发布了 App 5.2，登录改为短信验证码。预计未来一周关于登录和闪退的咨询会增加，"
        "请坐席按知识库《App 5.2 常见问题》答复；发现新问题请在案例上分享给产品部。",
        True,
    ),
    (
        "下月起宽带资费调整",
        "自下月 1 日起，百兆宽带套餐资费调整，老用户保持原价至合约期满。"
        "请提前熟悉话术，遇到投诉按升级流程处理。",
        False,
    ),
]


def _text(rng: random.Random, texts: list[str]) -> str:
    return rng.choice(texts).format(n=rng.randint(2, 9), p=rng.choice(PRODUCTS))


def _history(world, rng: random.Random) -> list[PastConversation]:
    past = []
    customers = world.customers
    for week in range(WEEKS):
        for _theme, weight, texts in STEADY:
            for _ in range(max(1, round(weight * rng.uniform(0.75, 1.25)))):
                past.append(_conversation(world, rng, rng.choice(customers), _text(rng, texts), 7 * week))
    for _ in range(26):  # the emerging issue: App crashes after the update, in the last six days
        past.append(_conversation(world, rng, rng.choice(customers), rng.choice(BURST), 0, within=6))
    return past


def _conversation(
    world, rng: random.Random, customer, text: str, days_ago: int, within: int = 7
) -> PastConversation:
    started = world.now - timedelta(days=days_ago, minutes=rng.randint(30, within * 24 * 60 - 30))
    channel = rng.choice(CHANNELS)
    return PastConversation(
        customer=customer,
        channel=channel,
        subject=text[:30] if channel == "email" else "",
        status=Status.CLOSED,
        messages=[
            PastMessage(Direction.INBOUND, text, started),
            PastMessage(
                Direction.OUTBOUND, rng.choice(REPLIES), started + timedelta(minutes=rng.randint(2, 60))
            ),
        ],
    )


def seed_demo(world) -> None:
    from dabai.insights import emerging, services, topics

    rng = random.Random(world.seed + 14)
    conversations = record_history(_history(world, rng))
    services.index_cases([c.pk for c in conversations])
    editor = world.users["banzhang"]
    defined = {}
    for name, keywords, examples in DEFINED:
        defined[name] = topics.define_topic(editor, name, keywords, examples)
        topics.match_topic_history(defined[name])
    topics.discover_topics(world.now)
    emerging.compute_emerging(world.now)
    for days, (title, body, pinned) in enumerate(NEWS):
        services.publish_news(
            editor, title, body, pinned=pinned, published_at=world.now - timedelta(days=2 + 3 * days)
        )
    member = world.users["chanpin"]
    services.follow_topic(member, defined["宽带断网"])
    services.follow_topic(member, topics.intent_topic("product_quality"))
