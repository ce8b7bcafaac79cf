"""Instant answers the bot gives before searching the knowledge base, told by the apps built above it.

The knowledge base does not know that an outage was declared (outreach does, and outreach imports knowledge,
never the other way round), so apps above register a provider here from their ``AppConfig.ready``: given the
customer's message, it returns the answer that applies now (the incident's status and expected recovery,
with how to reach a person) or None. The bot says the first answer and records it; a provider's failure is
logged and the bot carries on as if it had said nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from dabai.conversations.models import Message

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InstantAnswer:
    """What the bot says (customer-facing, in the language active while the provider runs) and a short
    ``topic`` for the bot's statistics (an incident's title, say)."""

    text: str
    topic: str = ""


InstantProvider = Callable[[Message], InstantAnswer | None]
_providers: dict[str, InstantProvider] = {}


def register(name: str, provider: InstantProvider) -> None:
    _providers[name] = provider


def unregister(name: str) -> None:
    _providers.pop(name, None)


def first_for(message: Message) -> InstantAnswer | None:
    """The first registered provider's answer to this message, if any has one."""
    for name, provider in list(_providers.items()):
        try:
            found = provider(message)
        except Exception:
            logger.exception(
                "knowledge: the instant-answer provider %s failed for message %s", name, message.pk
            )
            continue
        if found is not None and found.text.strip():
            return found
    return None
