"""State changes for customers: identity resolution first, so every voice lands in one history."""

from django.db import IntegrityError, transaction

from dabai.customers.models import ChannelIdentity, Customer


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
    try:
        with transaction.atomic():
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
