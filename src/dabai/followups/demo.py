"""The demo's follow-ups: a dozen for 产品部 and 财务部 in every state (some overdue, some done with the
resolution the agents pass on), each linked to demo conversations that say what it is about, and two questions
from the desk to the product department (one answered).

Built only through ``followups.services``; deterministic (the demo's seed picks the cases).
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from dabai.accounts.models import Department
from dabai.accounts.permissions import visible_conversations
from dabai.conversations.models import Conversation, Direction, Message
from dabai.followups import services
from dabai.followups.models import Source, Status

CASES_PER_FOLLOWUP = 4


@dataclass(frozen=True)
class Plan:
    department: str  # slug
    title: str
    description: str
    keyword: str  # what the linked customers wrote
    topic: str
    due_in_days: int | None
    status: str = Status.OPEN
    owner: bool = False
    reply: str = ""
    resolution: str = ""
    source: str = Source.CASE


PLANS = [
    Plan(
        "product",
        "耳机左声道无声：同一批次集中反馈",
        "近两周多位客户反映新买的耳机用几天后左边没声音，集中在同一批次，请产品部排查质量问题并给出处理方案。",
        "耳机",
        "product_quality",
        5,
        Status.IN_PROGRESS,
        owner=True,
        reply="已联系供应商，初步判断为左耳焊点虚焊，正在抽检同批次库存。",
    ),
    Plan(
        "product",
        "杯子到货有裂痕：包装需要加固",
        "客户收到的杯子有裂痕，退换成本高，客户体验差。",
        "杯子",
        "product_quality",
        -10,
        Status.DONE,
        owner=True,
        resolution="已更换加厚泡沫内衬和双层纸箱，本月起发出的订单不会再出现运输破损；已破损的可直接申请换新。",
    ),
    Plan(
        "product",
        "APP 里查剩余流量的入口太深",
        "不少客户来电只为问在哪里查剩余流量，说明 APP 首页缺少入口。",
        "剩余流量",
        "usage_inquiry",
        -3,
        source=Source.TOPIC,
    ),
    Plan(
        "product",
        "路由器 WiFi 设置说明看不懂",
        "客户反映说明书步骤太专业，希望有图文或视频指引。",
        "路由器",
        "usage_inquiry",
        -20,
        Status.WONT_DO,
        resolution="现款硬件不再改版；已在帮助中心上线图文和视频设置指引，下一代产品会改成扫码一键设置。",
    ),
    Plan(
        "product",
        "宽带断网后恢复太慢",
        "断网投诉本周明显上升，客户反映报修后很久没人上门。",
        "断网",
        "outage",
        -1,
        Status.IN_PROGRESS,
        reply="已和网络维护部门对接，正在核对报修工单的派单时长。",
        source=Source.EMERGING,
    ),
    Plan(
        "product",
        "会员自动续费关闭入口难找",
        "客户找不到关闭自动续费的入口，有人因此投诉“偷偷扣费”。",
        "自动续费",
        "cancellation",
        10,
    ),
    Plan(
        "product",
        "客户建议：APP 增加夜间模式",
        "来自客户的产品建议，请产品部评估。",
        "夜间模式",
        "usage_inquiry",
        None,
    ),
    Plan(
        "finance",
        "话费多扣增值业务费",
        "客户反映未开通增值业务却被扣费，请财务部核对扣费规则并说明退费口径。",
        "多扣",
        "billing",
        -2,
        Status.IN_PROGRESS,
        owner=True,
        reply="已拉取上月扣费明细，确认有一批用户被重复计费，正在走退费审批。",
    ),
    Plan(
        "finance",
        "退款到账太慢（超过 7 天）",
        "退款迟迟不到账是本月投诉最多的原因之一。",
        "还没到账",
        "refund_return",
        -14,
        Status.DONE,
        owner=True,
        resolution="退款审核已由人工改为系统自动审核，审核通过后 3 个工作日内原路退回。",
    ),
    Plan(
        "finance",
        "发票开公司抬头的流程说明",
        "客户不清楚税号填在哪里，反复来电询问。",
        "发票",
        "billing",
        -7,
        Status.DONE,
        resolution="APP 开票页面已增加“公司抬头”选项和税号填写说明，开票后自动发送到客户邮箱。",
    ),
    Plan(
        "finance",
        "自动扣费日期说明不清",
        "客户不知道每月几号扣费，余额不足时容易欠费停机。",
        "自动扣费",
        "billing",
        7,
    ),
    Plan(
        "finance",
        "账单里看不懂的费用项",
        "客户看不懂账单费用名称，建议改成通俗说法。",
        "看不懂",
        "billing",
        -5,
    ),
]

QUESTIONS = [
    (
        "耳机",
        "@chanpin 这位客户的耳机左边没声音，是已知的批次问题吗？可以直接换新吗？",
        "是已知批次问题，可以直接换新，不用寄回检测。",
    ),
    ("杯子", "@chanpin 客户收到的杯子有裂痕，想问新包装什么时候上线？", ""),
]


def _cases(keyword: str, rng: random.Random, count: int = CASES_PER_FOLLOWUP) -> list[Conversation]:
    ids = sorted(
        set(
            Message.objects.filter(direction=Direction.INBOUND, body__contains=keyword).values_list(
                "conversation_id", flat=True
            )
        )
    )
    chosen = rng.sample(ids, min(count, len(ids)))
    return list(Conversation.objects.filter(pk__in=chosen).select_related("customer"))


def seed_demo(world) -> None:
    rng = random.Random(world.seed + 14)
    supervisor = world.users["banzhang"]
    members = {"product": world.users["chanpin"], "finance": world.users["caiwu"]}
    departments = {slug: Department.objects.get(slug=slug) for slug in members}
    today = world.now.date()
    for plan in PLANS:
        member = members[plan.department]
        item = services.open_followup(
            title=plan.title,
            department=departments[plan.department],
            opened_by=supervisor,
            description=plan.description,
            owner=member if plan.owner else None,
            due=today + timedelta(days=plan.due_in_days) if plan.due_in_days is not None else None,
            conversations=_cases(plan.keyword, rng),
            topic_key=plan.topic,
            source=plan.source,
        )
        if plan.status == Status.IN_PROGRESS or plan.reply:
            services.change_status(item, Status.IN_PROGRESS, actor=member)
        if plan.reply:
            services.comment(item, actor=member, body=plan.reply)
        if plan.status in {Status.DONE, Status.WONT_DO}:
            services.change_status(item, plan.status, actor=member, note=plan.resolution)
    agent = world.users["xiaoli"]
    for keyword, question, answer in QUESTIONS:
        cases = [
            c
            for c in _cases(keyword, rng, 20)
            if visible_conversations(agent, Conversation.objects.filter(pk=c.pk)).exists()
        ]
        if not cases:
            continue
        body = question.removeprefix("@chanpin ")
        mention = services.mention_department_member(
            cases[0], author=agent, member=members["product"], body=body
        )
        if answer:
            services.answer_mention(mention, member=members["product"], body=answer)
