"""Reads about customers: who may see one, and how their identities are shown at the desk.

A customer's phone, email, WeChat openid or Weibo id is personal data: every page shows it masked
(``138****5678``, ``z***@example.com``, ``oU************6o``) and only a deliberate, audited reveal
(:func:`dabai.customers.services.reveal_identities`) shows it whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dabai.accounts.models import User
from dabai.accounts.permissions import is_desk_user, is_supervisor
from dabai.conversations.selectors import customer_conversations
from dabai.customers.models import Customer
from dabai.filter import mask

# A name that is really a channel id (an openid, a Weibo uid, a number): latin letters and digits, no spaces.
_RAW_ID = re.compile(r"[A-Za-z0-9_\-+.]{6,}")


def mask_middle(value: str) -> str:
    """Keep a few characters at both ends, enough to tell two handles apart."""
    keep = 1 if len(value) < 8 else 2
    if len(value) <= 2 * keep:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def mask_handle(value: str) -> str:
    """A channel identity as the desk shows it: phone and email masked by the filter, any other id in the
    middle."""
    masked = mask(value, lenient=True)
    return masked if masked != value else mask_middle(value)


def shown_name(name: str) -> str:
    """A customer's display name as the desk shows it: a real name as it is, a name that is a phone number,
    an email or a channel id masked (customers are named after their handle until someone names them)."""
    masked = mask(name, lenient=True)
    if masked != name:
        return masked
    if _RAW_ID.fullmatch(name) and any(c.isdigit() for c in name):
        return mask_middle(name)
    return name


@dataclass(frozen=True)
class ShownIdentity:
    channel: str
    value: str


def identities(customer: Customer, *, revealed: bool = False) -> list[ShownIdentity]:
    """The customer's handles on every channel, masked unless *revealed* (after an audited click)."""
    rows = sorted(customer.identities.all(), key=lambda i: (i.channel, i.pk))
    out = []
    for identity in rows:
        value = identity.handle or identity.external_id
        out.append(ShownIdentity(identity.get_channel_display(), value if revealed else mask_handle(value)))
    return out


def visible_customer(user: User, pk: int) -> Customer | None:
    """The customer if this desk user may look them up: supervisors always, agents through a conversation
    they can open. None otherwise (the view answers 404, revealing nothing)."""
    if not is_desk_user(user):
        return None
    customer = Customer.objects.prefetch_related("identities", "tags").filter(pk=pk).first()
    if customer is None:
        return None
    if is_supervisor(user) or customer_conversations(user, pk).exists():
        return customer
    return None
