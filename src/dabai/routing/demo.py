"""Routing for the demo centre: skills, seats, tiers, and SLA clocks for the demo's active conversations."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q

from dabai.accounts.models import Role, User
from dabai.conversations.models import Direction, Status
from dabai.core.choices import Channel
from dabai.customers.models import Customer, Tier
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
}
AGENT_SKILLS = {
    "xiaoli": ["billing", "outage", "service_attitude"],
    "xiaozhou": ["logistics", "refund_return", "usage_inquiry"],
    "agent1": ["account", "cancellation"],
    "agent2": ["product_quality", "refund_return"],
    "agent3": ["service_attitude", "billing"],
    "agent4": ["outage", "account"],
    "agent5": ["logistics", "usage_inquiry"],
    "agent6": ["billing", "cancellation"],
}
EXPERT_SEATS = {"xiaoli", "agent3"}
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


def seed_routing_demo() -> None:
    """Called at the end of the demo build: after it, the inbox shows time left and routing has a history."""
    with transaction.atomic():
        _seats(_skills())
        _customer_values()
        _clocks()
        services.sweep_slas()
        services.route_queued()
