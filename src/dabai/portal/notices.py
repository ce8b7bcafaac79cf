"""Notices a signed-in customer reads on their requests page, told by the apps built above the portal.

The portal does not know about declared outages (outreach does, and outreach imports the portal's lower
neighbours, never the other way round), so apps above register a provider here from their
``AppConfig.ready``: given the customer, it returns what applies to them now (an outage in their area, its
status and expected recovery). A provider's failure is logged and the page shows the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dabai.customers.models import Customer

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CustomerNotice:
    """Customer-facing words: a short title and the text (no other customer's data, nothing internal)."""

    key: str
    title: str
    text: str


NoticeProvider = Callable[[Customer], Sequence[CustomerNotice]]
_providers: dict[str, NoticeProvider] = {}


def register(name: str, provider: NoticeProvider) -> None:
    _providers[name] = provider


def unregister(name: str) -> None:
    _providers.pop(name, None)


def notices_for(customer: Customer) -> list[CustomerNotice]:
    found: list[CustomerNotice] = []
    for name, provider in list(_providers.items()):
        try:
            found.extend(provider(customer))
        except Exception:
            logger.exception("portal: the notice provider %s failed for customer %s", name, customer.pk)
    return found
