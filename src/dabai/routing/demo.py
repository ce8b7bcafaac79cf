"""Routing for the demo centre: skills, seats, tiers, and SLA clocks for the demo's conversations.

The clocks follow the messages as live traffic would have run them: the history's clocks ended met or late
(late ones with their breach, when it happened), the open work's clocks run from the customer's first message.
The core demo times its conversations against ``demo_targets`` so most open clocks are within their target,
a few near it and a few past, and the history meets its first-response targets about nine times in ten.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import Role, User
from dabai.conversations.models import Conversation, Direction, Status
from dabai.conversations.services import receive_message, store_insight
from dabai.core.choices import Channel
from dabai.customers.models import Customer, Tier
from dabai.filter import analyse
from dabai.routing import services
from dabai.routing.models import (
    AgentRouting,
    ClockKind,
    ClockState,
    CustomerValue,
    Skill,
    SkillKind,
    SlaBreach,
    SlaClock,
    SlaPolicy,
    TierSource,
)
from dabai.routing.services._common import supervisors_by_team
from dabai.routing.services.sla import _open_clocks, _save_slas

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
SETTLED = (Status.RESOLVED, Status.CLOSED)
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


@dataclass(frozen=True)
class Targets:
    """A channel's strictest first-response and resolution targets, in minutes."""

    first_response: float
    resolution: float


def demo_targets() -> dict[str, Targets]:
    """Per channel, the strictest active targets (public Weibo's 20 minutes, not direct messages' hour): the
    core demo times its open work and its answers against them."""
    targets = {
        channel: Targets(first, resolution)
        for channel, (first, _next, resolution, _always) in services.DEFAULT_TARGETS.items()
    }
    weibo = targets[Channel.WEIBO]
    targets[Channel.WEIBO] = Targets(
        min(weibo.first_response, services.PUBLIC_WEIBO_FIRST_RESPONSE), weibo.resolution
    )
    for policy in SlaPolicy.objects.filter(is_active=True):
        known = targets.get(policy.channel)
        targets[policy.channel] = Targets(
            min(policy.first_response_minutes, known.first_response if known else 10**6),
            min(policy.resolution_minutes, known.resolution if known else 10**6),
        )
    for channel in Channel.values:
        targets.setdefault(channel, Targets(60, 1440))
    return targets


def _with_times(conversations):
    inbound, outbound = Q(messages__direction=Direction.INBOUND), Q(messages__direction=Direction.OUTBOUND)
    return conversations.annotate(
        first_in=Min("messages__sent_at", filter=inbound),
        last_in=Max("messages__sent_at", filter=inbound),
        last_out=Max("messages__sent_at", filter=outbound),
    )


def _end(clocks: list[SlaClock], ends: dict[tuple[int, str], datetime]) -> None:
    """End clocks at the given moments: met in time, else late with the breach the sweep would have recorded
    when the target passed (escalated to the team's supervisor)."""
    by_team, fallback = supervisors_by_team()
    labels = dict(ClockKind.choices)
    ended, breaches = [], []
    for clock in clocks:
        at = ends.get((clock.conversation_id, clock.kind))
        if at is None:
            continue
        late = clock.due_at < at
        clock.state = ClockState.BREACHED if late else ClockState.MET
        clock.stopped_at = at
        if late:
            clock.breached_at = clock.warned_at = clock.due_at
            breaches.append(
                SlaBreach(
                    clock=clock,
                    conversation_id=clock.conversation_id,
                    at=clock.due_at,
                    reason=_("%(kind)s target of %(minutes)d minutes passed")
                    % {"kind": labels[clock.kind], "minutes": clock.target_minutes},
                    escalated_to_id=by_team.get(clock.team_id, fallback),
                )
            )
        ended.append(clock)
    SlaClock.objects.bulk_update(ended, ["state", "stopped_at", "breached_at", "warned_at"], batch_size=500)
    SlaBreach.objects.bulk_create(breaches, batch_size=500)
    _save_slas(_open_clocks({clock.conversation_id for clock in ended}))


def _clocks() -> None:
    """Clocks of the open work, from the customer's first message: first response (ended at the answer when
    there is one), next response when the customer wrote after it, resolution; paused when waiting on them."""
    conversations = list(_with_times(services.conversations_without_clocks()))
    starts, ends = [], {}
    for conversation in conversations:
        began = conversation.first_in or conversation.last_message_at
        starts.append((conversation, began, [ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION]))
        if conversation.first_response_at is not None:
            ends[(conversation.pk, ClockKind.FIRST_RESPONSE)] = conversation.first_response_at
            last_out = conversation.last_out or conversation.first_response_at
            if conversation.last_in and conversation.last_in > last_out:
                starts.append((conversation, conversation.last_in, [ClockKind.NEXT_RESPONSE]))
    _end(services.start_clocks_for(starts), ends)
    for conversation in conversations:
        if conversation.status == Status.PENDING:
            services.pause_clocks(conversation, conversation.last_message_at)


def _history_clocks() -> None:
    """The settled history's clocks, ended when it was answered and resolved: the SLA report's past."""
    has_clock = SlaClock.objects.filter(conversation=OuterRef("pk"))
    settled = _with_times(
        Conversation.objects.filter(status__in=SETTLED, first_response_at__isnull=False)
        .annotate(has_clock=Exists(has_clock))
        .filter(has_clock=False)
        .select_related("customer")
    )
    starts, ends = [], {}
    for conversation in settled:
        began = conversation.first_in or conversation.first_response_at
        starts.append((conversation, began, [ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION]))
        ends[(conversation.pk, ClockKind.FIRST_RESPONSE)] = conversation.first_response_at
        resolved = conversation.resolved_at or conversation.last_message_at
        ends[(conversation.pk, ClockKind.RESOLUTION)] = resolved
    _end(services.start_clocks_for(starts), ends)


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


def seed_routing_demo(now: datetime | None = None) -> None:
    """Called at the end of the demo build: after it, the inbox shows time left and routing has a history.

    The sweep runs at the builder's ``now`` (the moment its timestamps count back from), so the same seed
    breaches the same clocks however long the build took; the minute sweep carries on from there."""
    with transaction.atomic():
        _seats(_skills())
        _customer_values()
        _arrivals()
        _clocks()
        _history_clocks()
        services.route_queued()
        services.sweep_slas(now)
