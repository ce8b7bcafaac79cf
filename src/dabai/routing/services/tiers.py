"""Customer tiers: by the spend-and-years rules, by hand, or from a CSV import.

Its own module because tiers are customer data that routing only reads (expert seats, SLA policies per
tier); nothing here touches clocks or assignees.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.core.params import parse_id
from dabai.customers.models import Customer, Tier
from dabai.routing.models import CustomerValue, TierPolicy, TierSource


def tier_by_rules(
    annual_spend: Decimal, customer_since: date | None, today: date, rules: list[TierPolicy]
) -> str:
    years = (today - customer_since).days // 365 if customer_since else 0
    for rule in sorted(rules, key=lambda r: -r.rank):
        if annual_spend >= rule.min_annual_spend and years >= rule.min_years:
            return rule.tier
    return Tier.REGULAR


def apply_tier_rules(today: date | None = None) -> int:
    """Re-tier customers whose tier comes from the rules (hand-set and imported tiers stay)."""
    today = today or timezone.localdate()
    rules = list(TierPolicy.objects.all())
    changed = 0
    for value in CustomerValue.objects.filter(tier_source=TierSource.RULE).select_related("customer"):
        tier = tier_by_rules(value.annual_spend, value.customer_since, today, rules)
        if value.customer.tier != tier:
            Customer.objects.filter(pk=value.customer_id).update(tier=tier)
            changed += 1
    return changed


def set_customer_tier(
    customer: Customer, tier: str, *, actor: User | None, source: str = TierSource.MANUAL
) -> None:
    """Set a tier by hand (or import): the rules will not overwrite it."""
    if tier not in Tier.values:
        raise ValueError(f"unknown tier {tier!r}")
    old = customer.tier
    customer.tier = tier
    customer.save(update_fields=["tier"])
    CustomerValue.objects.update_or_create(customer=customer, defaults={"tier_source": source})
    record_audit(actor, "routing.customer_tier", customer, {"from": old, "to": tier, "source": source})


@dataclass
class TierImport:
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


# The yearly spend as the model stores it: finite, at least 0, at most 12 digits of which two decimals.
_SPEND = CustomerValue._meta.get_field("annual_spend").formfield(min_value=0, localize=False)


def import_tiers(text: str, *, actor: User | None) -> TierImport:
    """Import ``customer_id,tier[,annual_spend]`` rows; bad rows reported by line, good rows import."""
    result = TierImport()
    labels = {p.label: p.tier for p in TierPolicy.objects.all()}
    reader = csv.DictReader(io.StringIO(text))
    for line, row in enumerate(reader, start=2):
        raw_id, raw_tier = (row.get("customer_id") or "").strip(), (row.get("tier") or "").strip()
        tier = labels.get(raw_tier, raw_tier.lower())
        customer_id = parse_id(raw_id)
        customer = Customer.objects.filter(pk=customer_id).first() if customer_id is not None else None
        if customer is None:
            result.errors.append((line, _("unknown customer %(id)r") % {"id": raw_id}))
            continue
        if tier not in Tier.values:
            result.errors.append((line, _("unknown tier %(tier)r") % {"tier": raw_tier}))
            continue
        raw_spend = (row.get("annual_spend") or "").strip()
        try:
            spend = _SPEND.clean(raw_spend) if raw_spend else None
        except ValidationError as exc:  # NaN, Infinity, 1e40, negative, more than two decimals
            result.errors.append((line, _("annual spend: %(error)s") % {"error": " ".join(exc.messages)}))
            continue
        set_customer_tier(customer, tier, actor=actor, source=TierSource.IMPORT)
        if spend is not None:
            CustomerValue.objects.filter(customer=customer).update(annual_spend=spend)
        result.updated += 1
    return result
