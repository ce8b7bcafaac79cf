"""How pages show customers: ``{{ customer|customer_name }}`` and ``{% customer_identities customer %}``."""

from django import template

from dabai.customers import selectors
from dabai.filter import mask

register = template.Library()


@register.filter
def customer_name(customer) -> str:
    """The display name, masked when it is a phone number, an email or a channel id."""
    if customer is None:
        return ""
    return selectors.shown_name(getattr(customer, "display_name", str(customer)))


@register.inclusion_tag("customers/_identities.html")
def customer_identities(customer) -> dict:
    """The customer's handles, masked, with the audited "show" button."""
    return {"customer": customer, "identities": selectors.identities(customer), "revealed": False}


@register.filter
def masked_text(text) -> str:
    """Personal data in free text (a subject line) masked, as the conversation page shows it."""
    return mask(str(text or ""))
