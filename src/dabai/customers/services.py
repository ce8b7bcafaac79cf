"""State changes for customers: identity resolution first, so every voice lands in one history."""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.conversations.models import Conversation
from dabai.customers.models import ChannelIdentity, Customer, CustomerMerge, Gender

logger = logging.getLogger(__name__)

# Handles that mean the same thing on several channels: a mobile number is one person on SMS and the hotline.
SHARED_HANDLES = {"sms": ("phone",), "phone": ("sms",)}


@dataclass(frozen=True)
class Handle:
    """Who wrote, as a channel knows them, before we know which customer that is."""

    channel: str
    external_id: str
    display_name: str = ""
    handle: str = ""
    gender: str = ""  # when the channel's profile states it (``Gender``): the desk addresses 杜女士 / 杜先生


def resolve_customer(channel: str, external_id: str, *, display_name: str = "", handle: str = "") -> Customer:
    """Return the customer behind a channel handle, creating both on first contact."""
    who = Handle(channel, external_id, display_name, handle)
    return resolve_customers([who])[who]


def resolve_customers(handles: list[Handle], attempts: int = 3) -> dict[Handle, Customer]:
    """The customers behind a batch of handles, creating them on first contact, in a few queries.

    Safe under concurrency: when another process created one of the handles first (an IntegrityError), we
    read again and use theirs, so two deliveries racing on a new handle end with one identity.
    """
    keys = {(h.channel, h.external_id.strip()) for h in handles}
    known = _identities(keys)
    missing: dict[tuple[str, str], Handle] = {}
    for h in handles:  # the first of a batch to name a new handle names its customer, as if one by one
        key = (h.channel, h.external_id.strip())
        if key not in known:
            missing.setdefault(key, h)
    if missing:
        try:
            with transaction.atomic():
                known |= _create_identities(missing)
        except IntegrityError:
            if attempts <= 1:
                raise
            return resolve_customers(handles, attempts - 1)
    resolved = {h: known[(h.channel, h.external_id.strip())] for h in handles}
    _learn_genders(resolved)
    return resolved


def _learn_genders(resolved: dict[Handle, Customer]) -> None:
    record_genders({customer: h.gender for h, customer in resolved.items() if h.gender})


def record_genders(stated: dict[Customer, str]) -> int:
    """What profiles say about customers' genders fills in those still unknown (one UPDATE per gender, none
    when nothing is said); a gender somebody set is never overwritten. Returns how many were filled."""
    unknown: dict[str, set[int]] = {}
    for customer, gender in stated.items():
        if gender in (Gender.FEMALE, Gender.MALE) and not customer.gender:
            unknown.setdefault(gender, set()).add(customer.pk)
            customer.gender = gender
    return sum(
        Customer.objects.filter(pk__in=pks, gender=Gender.UNKNOWN).update(gender=gender)
        for gender, pks in unknown.items()
    )


def _identities(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Customer]:
    if not keys:
        return {}
    rows = ChannelIdentity.objects.select_related("customer").filter(
        channel__in={channel for channel, _ in keys}, external_id__in={ext for _, ext in keys}
    )
    return {(i.channel, i.external_id): i.customer for i in rows if (i.channel, i.external_id) in keys}


def _create_identities(missing: dict[tuple[str, str], Handle]) -> dict[tuple[str, str], Customer]:
    """New customers (or the sibling channel's for a shared handle, like a mobile number) and handles."""
    siblings = _identities(
        {(other, ext) for channel, ext in missing for other in SHARED_HANDLES.get(channel, ())}
    )
    customers: dict[tuple[str, str], Customer] = {}
    for (channel, ext), h in missing.items():
        others = [(other, ext) for other in SHARED_HANDLES.get(channel, ())]
        shared = [found[key] for found in (siblings, customers) for key in others if key in found]
        customers[(channel, ext)] = (
            shared[0] if shared else Customer(display_name=h.display_name or h.handle or ext)
        )
    Customer.objects.bulk_create(list({id(c): c for c in customers.values() if c.pk is None}.values()))
    ChannelIdentity.objects.bulk_create(
        [
            ChannelIdentity(
                customer=customers[key], channel=key[0], external_id=key[1], handle=h.handle or h.display_name
            )
            for key, h in missing.items()
        ]
    )
    return customers


def merge_customers(source: Customer, target: Customer, *, actor: User) -> CustomerMerge:
    """Fold a duplicate into the real customer: identities and conversations move, the move is recorded."""
    if source.pk == target.pk:
        raise ValueError("cannot merge a customer into itself")
    if target.merged_into_id is not None:
        raise ValueError("the target was itself merged away")
    with transaction.atomic():
        identity_ids = list(source.identities.values_list("pk", flat=True))
        conversation_ids = list(Conversation.objects.filter(customer=source).values_list("pk", flat=True))
        ChannelIdentity.objects.filter(pk__in=identity_ids).update(customer=target)
        Conversation.objects.filter(pk__in=conversation_ids).update(customer=target)
        Customer.objects.filter(pk=source.pk).update(merged_into=target)
        source.merged_into = target
        merge = CustomerMerge.objects.create(
            source=source,
            target=target,
            actor=actor,
            identity_ids=identity_ids,
            conversation_ids=conversation_ids,
        )
        record_audit(
            actor,
            "customer.merge",
            target,
            {"source": source.pk, "identities": identity_ids, "conversations": conversation_ids},
        )
    return merge


def unmerge_customers(merge: CustomerMerge, *, actor: User) -> Customer:
    """Undo a merge: what moved goes back (identities added since stay with the target)."""
    if merge.undone_at is not None:
        raise ValueError("this merge was already undone")
    with transaction.atomic():
        ChannelIdentity.objects.filter(pk__in=merge.identity_ids, customer=merge.target).update(
            customer=merge.source
        )
        Conversation.objects.filter(pk__in=merge.conversation_ids, customer=merge.target).update(
            customer=merge.source
        )
        Customer.objects.filter(pk=merge.source_id).update(merged_into=None)
        merge.undone_at = timezone.now()
        merge.save(update_fields=["undone_at"])
        record_audit(actor, "customer.unmerge", merge.target, {"source": merge.source_id, "merge": merge.pk})
    merge.source.refresh_from_db()
    return merge.source


def reveal_identities(customer: Customer, actor: User, request: HttpRequest | None = None) -> None:
    """Record that *actor* deliberately looked at this customer's unmasked handles (a click, never a page
    load). The caller has already checked that *actor* may see the customer."""
    channels = sorted({identity.channel for identity in customer.identities.all()})
    record_audit(actor, "customer.reveal_identities", customer, {"channels": channels}, request=request)
    logger.info("user %s revealed the identities of customer %s", actor.pk, customer.pk)


def mark_probes(customer_ids: set[int]) -> int:
    """Flag the customers the channel probes write as (their handles are the probes' own), so every report
    and queue can leave them out by one column. Idempotent; returns how many were newly flagged."""
    return Customer.objects.filter(pk__in=customer_ids, is_probe=False).update(is_probe=True)
