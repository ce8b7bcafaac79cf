"""Routing for the demo centre: skills, seats, tiers, and SLA clocks for the demo's active conversations."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from dabai.accounts.models import Role, User
from dabai.conversations.models import Conversation, Direction, Status
from dabai.conversations.services import receive_message, store_insight
from dabai.core.choices import Channel
from dabai.customers.models import Customer, Tier
from dabai.filter import analyse
from dabai.routing import services
from dabai.routing.models import AgentRouting, ClockKind, CustomerValue, Skill, SkillKind, TierSource

INTENTS = {
    "billing": "账单费用",
    "logistics": "物流配送",
    "refund_return": "退款退货",
    "account": "账号问题",
    "product_quality": "产品质量",
    "outage": "故障报修",
    "service_attitude": "服务投诉",
    "cancellation": "退订销户",
    "usage_inquiry": "使用咨询",
    "purchase_inquiry": "售前咨询",
}
AGENT_SKILLS = {
    "xiaoli": ["billing", "outage", "service_attitude"],
    "xiaozhou": ["logistics", "refund_return", "usage_inquiry", "purchase_inquiry"],
    "agent1": ["account", "cancellation"],
    "agent2": ["product_quality", "refund_return"],
    "agent3": ["service_attitude", "billing"],
    "agent4": ["outage", "account"],
    "agent5": ["logistics", "usage_inquiry"],
    "agent6": ["billing", "cancellation"],
}
EXPERT_SEATS = {"xiaoli", "agent3"}
# Fresh messages into open, unanswered demo conversations, so the inbox shows clocks in every state.
# (channel, tier, minutes ago, public, text)
ARRIVALS = [
    (Channel.CHAT, Tier.REGULAR, 2, False, "在吗？我的订单显示已签收但是没收到货"),
    (Channel.WECHAT, Tier.REGULAR, 4.5, False, "宽带又断网了，麻烦尽快派人来修"),
    (Channel.CHAT, Tier.VIP, 0.5, False, "你好，我的会员积分怎么突然清零了？"),
    (
        Channel.WEIBO,
        Tier.REGULAR,
        12,
        True,
        "@大白客服 宽带断网两天了，打了三次电话都没人管，再不修我就投诉到工信部！",
    ),
    (Channel.SMS, Tier.PREMIUM, 10, False, "话费怎么多扣了88元？请核实"),
    (Channel.EMAIL, Tier.REGULAR, 60, False, "请问发票在哪里开？需要公司抬头的"),
]
SPEND = {Tier.REGULAR: Decimal("300"), Tier.VIP: Decimal("1800"), Tier.PREMIUM: Decimal("6800")}


def _skills() -> dict[tuple[str, str], Skill]:
    skills = {}
    for code, name in INTENTS.items():
        skills[(SkillKind.INTENT, code)] = Skill.objects.get_or_create(
            kind=SkillKind.INTENT, code=code, defaults={"name": name}
        )[0]
    for code, name in [("zh", "中文"), ("en", "English")]:
        skills[(SkillKind.LANGUAGE, code)] = Skill.objects.get_or_create(
            kind=SkillKind.LANGUAGE, code=code, defaults={"name": name}
        )[0]
    for code, label in Channel.choices:
        skills[(SkillKind.CHANNEL, code)] = Skill.objects.get_or_create(
            kind=SkillKind.CHANNEL, code=code, defaults={"name": str(label)}
        )[0]
    return skills


def _seats(skills: dict[tuple[str, str], Skill]) -> None:
    for user in User.objects.filter(role=Role.AGENT, username__in=AGENT_SKILLS):
        seat, _ = AgentRouting.objects.update_or_create(
            user=user,
            defaults={"is_expert_seat": user.username in EXPERT_SEATS, "default_capacity": 12},
        )
        codes = [(SkillKind.INTENT, c) for c in AGENT_SKILLS[user.username]] + [(SkillKind.LANGUAGE, "zh")]
        if user.username == "xiaozhou":
            codes.append((SkillKind.LANGUAGE, "en"))
        seat.skills.set([skills[c] for c in codes])


def _customer_values() -> None:
    today = date.today()
    values = [
        CustomerValue(
            customer_id=pk,
            annual_spend=SPEND.get(tier, Decimal("0")),
            customer_since=date(today.year - (pk % 8), 1, 1),
            tier_source=TierSource.IMPORT,
        )
        for pk, tier in Customer.objects.values_list("pk", "tier")
    ]
    CustomerValue.objects.bulk_create(values, ignore_conflicts=True)


def _clocks() -> None:
    """Start each active conversation's clocks at its latest customer message, as live traffic would."""
    conversations = services.conversations_without_clocks().annotate(
        last_in=Max("messages__sent_at", filter=Q(messages__direction=Direction.INBOUND))
    )
    for conversation in conversations:
        started = conversation.last_in or conversation.last_message_at
        kind = ClockKind.FIRST_RESPONSE if conversation.first_response_at is None else ClockKind.NEXT_RESPONSE
        services.start_clocks(conversation, [kind, ClockKind.RESOLUTION], started)
        if conversation.status == Status.PENDING:
            services.pause_clocks(conversation, started)


def _arrivals() -> None:
    """Customers write again just now, through the real path: message, analysis, routing, complaint case."""
    now = timezone.now()
    used: list[int] = []
    for channel, tier, minutes_ago, public, text in ARRIVALS:
        conversation = (
            Conversation.objects.filter(
                channel=channel, status=Status.OPEN, first_response_at__isnull=True, is_public=public
            )
            .exclude(pk__in=used)
            .select_related("customer")
            .order_by("pk")
            .first()
        )
        if conversation is None:
            continue
        used.append(conversation.pk)
        Customer.objects.filter(pk=conversation.customer_id).update(tier=tier)
        conversation.customer.tier = tier
        received = receive_message(
            channel=channel,
            customer=conversation.customer,
            body=text,
            external_id=f"demo-live-{conversation.pk}",
            sent_at=now - timedelta(minutes=minutes_ago),
            conversation=conversation,
        )
        store_insight(received.message, analyse(text, channel=channel).to_dict())


def seed_routing_demo() -> None:
    """Called at the end of the demo build: after it, the inbox shows time left and routing has a history."""
    with transaction.atomic():
        _seats(_skills())
        _customer_values()
        _arrivals()
        _clocks()
        services.route_queued()
        services.sweep_slas()
