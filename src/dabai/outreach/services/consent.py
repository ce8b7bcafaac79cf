"""Consent and how to address people: unsubscribing is honoured on every channel at once."""

from django.core import signing
from django.db import transaction
from django.utils import timezone

from dabai.customers.models import Customer
from dabai.outreach.models import ContactPreference

UNSUBSCRIBE_WORDS = {"退订", "TD", "T", "取消订阅", "UNSUBSCRIBE", "STOP", "退订短信"}
UNSUBSCRIBE_SALT = "dabai.outreach.unsubscribe"


def is_unsubscribe_request(text: str) -> bool:
    """A message that is only an unsubscribe word (退订, TD, STOP…), as SMS gateways and carriers use them."""
    return text.strip().strip("。.!！").upper() in UNSUBSCRIBE_WORDS


def preference(customer: Customer) -> ContactPreference:
    found, _created = ContactPreference.objects.get_or_create(customer=customer)
    return found


def unsubscribe(customers: list[int], via: str) -> int:
    """Stop marketing and care messages to these customers on every channel, from now on."""
    now = timezone.now()
    with transaction.atomic():
        existing = set(
            ContactPreference.objects.filter(customer_id__in=customers).values_list("customer_id", flat=True)
        )
        ContactPreference.objects.bulk_create(
            [ContactPreference(customer_id=c) for c in set(customers) - existing], ignore_conflicts=True
        )
        return ContactPreference.objects.filter(
            customer_id__in=customers, unsubscribed_at__isnull=True
        ).update(unsubscribed_at=now, unsubscribed_via=via[:30])


def resubscribe(customer: Customer) -> None:
    ContactPreference.objects.filter(customer=customer).update(unsubscribed_at=None, unsubscribed_via="")


def set_form_of_address(customer: Customer, form: str) -> None:
    ContactPreference.objects.update_or_create(customer=customer, defaults={"form_of_address": form[:10]})


def set_care_opt_in(customer: Customer, opted_in: bool) -> None:
    ContactPreference.objects.update_or_create(customer=customer, defaults={"care_opt_in": opted_in})


def unsubscribe_token(customer_id: int) -> str:
    return signing.dumps(customer_id, salt=UNSUBSCRIBE_SALT, compress=True)


def customer_from_token(token: str) -> int | None:
    """The customer an unsubscribe link was made for; None when the link was forged or mangled."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def addressed(display_name: str, form: str) -> str:
    """How a message greets the customer: 王先生 from 王小明 + 先生, else the name, else 客户."""
    name = display_name.strip()
    if form and name:
        return f"{name[0]}{form}"
    return name or "客户"


def personalise(text: str, customer: Customer, form_of_address: str) -> str:
    """``{name}`` (or ``{称呼}``) becomes how we address the customer (王先生); ``{full_name}`` their name."""
    greeting = addressed(customer.display_name, form_of_address)
    return (
        text.replace("{name}", greeting)
        .replace("{称呼}", greeting)
        .replace("{full_name}", customer.display_name)
    )
