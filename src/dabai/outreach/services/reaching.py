"""One-click "reach out": a senior agent gets an outbound conversation with the reasons beside it."""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.conversations.models import Status
from dabai.conversations.services import add_note, assign, start_conversation
from dabai.core.choices import Channel
from dabai.customers.models import ChannelIdentity, Customer
from dabai.outreach.factors import explain
from dabai.outreach.models import HealthScore, ReachOut
from dabai.routing.models import AgentRouting, AgentState

# A person calls back first; then the channels a person can write on.
REACH_CHANNELS = (Channel.PHONE, Channel.WECHAT, Channel.SMS, Channel.EMAIL, Channel.WEIBO, Channel.CHAT)


def senior_agent() -> User | None:
    """The least busy available expert seat (专家席), else the least busy expert seat at all."""
    seats = (
        AgentRouting.objects.filter(is_expert_seat=True, user__is_active=True)
        .annotate(
            load=Count(
                "user__assigned_conversations",
                filter=Q(user__assigned_conversations__status__in=[Status.OPEN, Status.PENDING]),
            )
        )
        .select_related("user")
        .order_by("load", "user_id")
    )
    available = [s for s in seats if s.state == AgentState.AVAILABLE]
    chosen = (available or list(seats))[:1]
    return chosen[0].user if chosen else None


def best_channel(customer: Customer) -> str:
    have = set(ChannelIdentity.objects.filter(customer=customer).values_list("channel", flat=True))
    return next((c for c in REACH_CHANNELS if c in have), Channel.PHONE)


def reach_out(customer: Customer, actor: User) -> ReachOut:
    """Open an outbound conversation for a senior agent (or the supervisor who asked), with the reasons."""
    health = HealthScore.objects.filter(customer=customer).first()
    score, factors = (health.score, health.factors) if health else (0, [])
    conversation = start_conversation(
        customer,
        best_channel(customer),
        subject=_("Reaching out: %(name)s") % {"name": customer.display_name},
        status=Status.OPEN,
    )
    agent = senior_agent() or actor
    assign(conversation, agent, actor=actor)
    reasons = "；".join(explain(f) for f in factors) or _("no factor recorded")
    add_note(
        conversation,
        actor,
        _("Reach out before they call us (risk %(score)s): %(reasons)s")
        % {"score": score, "reasons": reasons},
    )
    done = ReachOut.objects.create(
        customer=customer,
        conversation=conversation,
        score=score,
        factors=factors,
        requested_by=actor,
        agent=agent,
        at=timezone.now(),
    )
    record_audit(actor, "outreach.reach_out", customer, {"conversation": conversation.pk, "agent": agent.pk})
    return done
