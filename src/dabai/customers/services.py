"""State changes for customers: identity resolution first, so every voice lands in one history."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.conversations.models import Conversation
from dabai.customers.models import ChannelIdentity, Customer, CustomerMerge

# Handles that mean the same thing on several channels: a mobile number is one person on SMS and the hotline.
SHARED_HANDLES = {"sms": ("phone",), "phone": ("sms",)}


def resolve_customer(channel: str, external_id: str, *, display_name: str = "", handle: str = "") -> Customer:
    """Return the customer behind a channel handle, creating both on first contact.

    Safe under concurrency: two deliveries racing on a new handle end with one identity.
    """
    external_id = external_id.strip()
    identity = (
        ChannelIdentity.objects.select_related("customer")
        .filter(channel=channel, external_id=external_id)
        .first()
    )
    if identity is not None:
        return identity.customer
    sibling = (
        ChannelIdentity.objects.select_related("customer")
        .filter(channel__in=SHARED_HANDLES.get(channel, ()), external_id=external_id)
        .first()
    )
    try:
        with transaction.atomic():
            if sibling is not None:
                customer = sibling.customer
            else:
                customer = Customer.objects.create(display_name=display_name or handle or external_id)
            ChannelIdentity.objects.create(
                customer=customer, channel=channel, external_id=external_id, handle=handle or display_name
            )
            return customer
    except IntegrityError:
        return (
            ChannelIdentity.objects.select_related("customer")
            .get(channel=channel, external_id=external_id)
            .customer
        )


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
