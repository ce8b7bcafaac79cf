"""Customer visits (用户拜访, many staff to one customer): who is visited and why, consent, what they said.

Customers are sampled by a stated criterion (a recent hard complaint, a tier, a topic the filter read, or
plain random) with a seed, so the sample can be re-drawn. What the customer told the visitors is stored as
the customer's own words in a conversation of their history (through ``conversations.services``: the filter
reads it and the voice-of-the-customer library indexes it, masked, like every other case).
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.conversations.models import Status
from dabai.conversations.services import add_note, receive_feedback, start_conversation
from dabai.core.choices import Channel
from dabai.customers.models import Customer
from dabai.programs.models import Kind, Session, VisitCustomer

CRITERIA = ("complaint", "tier", "topic", "random")
# An in-person visit is no channel a customer writes through; the visit's record is kept as a custom-channel
# conversation (the API channel is the one for sources outside the built-in channels).
VISIT_CHANNEL = Channel.API


SEPARATOR = "\n---\n"


def _entries(feedback: str) -> int:
    return feedback.count(SEPARATOR) + 1 if feedback else 0


class VisitError(ValueError):
    pass


@dataclass(frozen=True)
class Sampled:
    customer: Customer
    reason: str


def sample_customers(
    *, criterion: str, size: int, seed: int, value: str = "", days: int = 90
) -> list[Sampled]:
    """A seeded sample of customers matching the criterion (candidates in id order, then ``Random(seed)``)."""
    if criterion not in CRITERIA:
        raise VisitError(_("unknown sample criterion %(criterion)s") % {"criterion": criterion})
    since = timezone.now() - timedelta(days=days)
    customers = Customer.objects.filter(merged_into__isnull=True)
    if criterion == "complaint":
        customers = customers.filter(complaints__opened_at__gte=since)
        reason = f"近{days}天有投诉"
    elif criterion == "tier":
        customers = customers.filter(tier=value)
        reason = f"客户等级：{value}"
    elif criterion == "topic":
        customers = customers.filter(
            conversations__messages__insight__intent=value, conversations__last_message_at__gte=since
        )
        reason = f"近{days}天咨询主题：{value}"
    else:
        reason = "随机抽样"
    candidates = sorted(set(customers.values_list("pk", flat=True)))
    chosen = random.Random(seed).sample(candidates, min(size, len(candidates)))
    by_pk = Customer.objects.in_bulk(chosen)
    return [Sampled(by_pk[pk], f"{reason}（种子 {seed}）") for pk in chosen]


def add_visit_customer(session: Session, customer: Customer, *, reason: str, actor: User) -> VisitCustomer:
    if session.programme.kind != Kind.VISIT:
        raise VisitError(_("customers are visited in a customer-visit session"))
    visit, _created = VisitCustomer.objects.get_or_create(
        session=session, customer=customer, defaults={"sample_reason": reason[:200]}
    )
    record_audit(actor, "programs.visit_planned", visit)
    return visit


def record_consent(visit: VisitCustomer, *, how: str, actor: User) -> VisitCustomer:
    if not how.strip():
        raise VisitError(_("say how the customer agreed (phone call, email…)"))
    VisitCustomer.objects.filter(pk=visit.pk).update(
        consent_at=timezone.now(), consent_note=how.strip()[:200]
    )
    record_audit(actor, "programs.visit_consent", visit, {"how": how.strip()[:200]})
    visit.refresh_from_db()
    return visit


def record_feedback(visit: VisitCustomer, *, feedback: str, summary: str = "", actor: User) -> VisitCustomer:
    """What the customer said, into their history as their own words (read by the filter, indexed for VoC)."""
    feedback = feedback.strip()
    if not feedback:
        raise VisitError(_("the feedback is empty"))
    if visit.consent_at is None:
        raise VisitError(_("record the customer's consent before their feedback"))
    session = visit.session
    with transaction.atomic():
        conversation = None
        if visit.conversation_id is None:
            conversation = start_conversation(
                visit.customer,
                VISIT_CHANNEL,
                subject=f"用户拜访：{session.title}",
                status=Status.CLOSED,
            )
            VisitCustomer.objects.filter(pk=visit.pk).update(conversation_id=conversation.pk)
            visit.conversation_id = conversation.pk
        else:
            from dabai.conversations.models import Conversation

            conversation = Conversation.objects.get(pk=visit.conversation_id)
        receive_feedback(
            conversation,
            feedback,
            key=f"programs-visit-{visit.pk}-{_entries(visit.feedback) + 1}",
            sent_at=timezone.now(),
        )
        if summary.strip():
            add_note(conversation, actor, summary.strip())
        combined = f"{visit.feedback}{SEPARATOR}{feedback}" if visit.feedback else feedback
        VisitCustomer.objects.filter(pk=visit.pk).update(feedback=combined)
        record_audit(actor, "programs.visit_feedback", visit)
    visit.refresh_from_db()
    return visit
