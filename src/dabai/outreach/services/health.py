"""Customers at risk: a health score from stated factors, each with its points, computed set-wise.

Risk is the sum of the factors' points (capped at 100). Every factor is something an agent can check in the
customer's history, so the list can answer "why at risk" line by line. Value (tier and yearly spend) does
not make a calm customer risky; it sorts the list and adds a little weight when something is already wrong.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from dabai.conversations.models import Conversation, Direction, Insight
from dabai.customers.models import Customer, Tier
from dabai.outreach.models import HealthHistory, HealthScore
from dabai.quality.models import Survey
from dabai.routing.models import ComplaintCase, ComplaintStage, CustomerValue, SlaBreach

WINDOW_DAYS = 30
TIER_VALUE = {Tier.REGULAR: 1.0, Tier.VIP: 2.0, Tier.PREMIUM: 3.0}
CHUNK = 5000


@dataclass(frozen=True)
class Factor:
    key: str
    points: int
    detail: dict


def _points(counts: dict[int, int], per: int, cap: int, minimum: int = 1, offset: int = 0) -> dict[int, int]:
    return {c: min((n - offset) * per, cap) for c, n in counts.items() if n >= minimum}


def gather(now: datetime, customer_ids: list[int] | None = None) -> dict[int, list[Factor]]:
    """Every customer's factors from a handful of grouped queries (one per factor family)."""
    since = now - timedelta(days=WINDOW_DAYS)
    half = now - timedelta(days=WINDOW_DAYS // 2)

    def narrow(queryset, field: str = "customer_id"):
        return queryset.filter(**{f"{field}__in": customer_ids}) if customer_ids is not None else queryset

    factors: dict[int, list[Factor]] = defaultdict(list)
    contacts = dict(
        narrow(Conversation.objects.filter(created_at__gte=since))
        .values_list("customer_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
    )
    for customer, n in contacts.items():
        factors[customer].append(Factor("repeat_contacts", min((n - 1) * 8, 24), {"contacts": n}))
    complaints = dict(
        narrow(
            ComplaintCase.objects.filter(stage__in=[ComplaintStage.RECEIVED, ComplaintStage.INVESTIGATING])
        )
        .values_list("customer_id")
        .annotate(n=Count("id"))
    )
    for customer, n in complaints.items():
        factors[customer].append(Factor("open_complaints", min(n * 15, 30), {"complaints": n}))
    breaches = dict(
        narrow(SlaBreach.objects.filter(at__gte=since), "conversation__customer_id")
        .values_list("conversation__customer_id")
        .annotate(n=Count("id"))
    )
    for customer, n in breaches.items():
        factors[customer].append(Factor("sla_breaches", min(n * 10, 20), {"breaches": n}))
    readings = (
        narrow(
            Insight.objects.filter(message__direction=Direction.INBOUND, message__sent_at__gte=since),
            "message__conversation__customer_id",
        )
        .values_list("message__conversation__customer_id")
        .annotate(
            recent=Count("id", filter=Q(message__sent_at__gte=half)),
            recent_negative=Count("id", filter=Q(message__sent_at__gte=half, sentiment="negative")),
            earlier=Count("id", filter=Q(message__sent_at__lt=half)),
            earlier_negative=Count("id", filter=Q(message__sent_at__lt=half, sentiment="negative")),
            escalations=Count("id", filter=Q(escalation_risk=True)),
            cancellations=Count("id", filter=Q(intent="cancellation")),
        )
    )
    for customer, recent, recent_neg, earlier, earlier_neg, escalations, cancellations in readings:
        negative = recent_neg + earlier_neg
        if negative:
            share_now = recent_neg / recent if recent else 0.0
            share_before = earlier_neg / earlier if earlier else 0.0
            worse = bool(recent_neg) and share_now > share_before
            points = min(negative * 4, 12) + (6 if worse else 0)
            factors[customer].append(
                Factor(
                    "negative_sentiment",
                    points,
                    {"negative": negative, "worsening": worse, "recent_share": round(share_now, 2)},
                )
            )
        if escalations:
            factors[customer].append(
                Factor("escalation_cues", min(escalations * 10, 20), {"messages": escalations})
            )
        if cancellations:
            factors[customer].append(Factor("cancellation_intent", 25, {"messages": cancellations}))
    surveys = dict(
        narrow(Survey.objects.filter(answered_at__gte=now - timedelta(days=60), rating__lte=2))
        .values_list("customer_id")
        .annotate(n=Count("id"))
    )
    for customer, n in surveys.items():
        factors[customer].append(Factor("bad_satisfaction", 15, {"answers": n}))
    # Channel probes (quality's 智能拨测) write as customers of their own: they are never at risk.
    for probe in Customer.objects.filter(pk__in=list(factors), is_probe=True).values_list("pk", flat=True):
        del factors[probe]
    return factors


def _values(customer_ids: list[int]) -> dict[int, tuple[str, float]]:
    """(tier, value) per customer: tier weight plus yearly spend in ten-thousands of yuan."""
    out = {}
    spend = {}
    for start in range(0, len(customer_ids), CHUNK):
        part = customer_ids[start : start + CHUNK]
        spend |= dict(
            CustomerValue.objects.filter(customer_id__in=part).values_list("customer_id", "annual_spend")
        )
        out |= dict(Customer.objects.filter(pk__in=part).values_list("pk", "tier"))
    return {
        c: (tier, TIER_VALUE.get(tier, 1.0) + float(spend.get(c) or 0) / 10_000) for c, tier in out.items()
    }


def compute_scores(now: datetime | None = None, customer_ids: list[int] | None = None) -> int:
    """Score every customer with a factor (and reset those whose factors went away); returns rows written.

    A history row is written for each customer whose score changed today (one per customer and day).
    """
    now = now or timezone.now()
    found = gather(now, customer_ids)
    previous_qs = HealthScore.objects.all()
    if customer_ids is not None:
        previous_qs = previous_qs.filter(customer_id__in=customer_ids)
    previous = dict(previous_qs.values_list("customer_id", "score"))
    ids = sorted(set(found) | set(previous))
    values = _values(ids)
    rows, history = [], []
    today = timezone.localdate(now)
    for customer in ids:
        if customer not in values:
            continue  # deleted meanwhile
        tier, value = values[customer]
        factors = found.get(customer, [])
        if factors and tier in (Tier.VIP, Tier.PREMIUM):
            factors.append(Factor("high_value", 5, {"tier": tier}))
        score = min(sum(f.points for f in factors), 100)
        explained = [{"key": f.key, "points": f.points, **f.detail} for f in factors]
        rows.append(
            HealthScore(
                customer_id=customer, score=score, value=round(value, 2), factors=explained, computed_at=now
            )
        )
        if previous.get(customer) != score:
            history.append(HealthHistory(customer_id=customer, day=today, score=score, factors=explained))
    with transaction.atomic():
        HealthScore.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=["score", "value", "factors", "computed_at"],
        )
        HealthHistory.objects.bulk_create(
            history,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["customer", "day"],
            update_fields=["score", "factors"],
        )
    return len(rows)
