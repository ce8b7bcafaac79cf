"""What a conversation's draft must start from, told by the apps built above replies.

Replies cannot know about declared outages (outreach does, and outreach imports replies, never the other
way round), so apps above register a *notice provider* here from their ``AppConfig.ready``: given a
conversation, it returns the notices that apply to it now (an incident's status and expected recovery). The
draft starts from the first notice's text and the desk shows its banner above the reply box.

A provider's failure is logged and ignored: a broken notice never costs the agent the draft.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dabai.conversations.models import Conversation

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Notice:
    """``text`` is customer-facing (the draft's first sentence); ``banner`` and ``url`` are for the agent."""

    key: str
    text: str
    banner: str
    url: str = ""


NoticeProvider = Callable[[Conversation], Sequence[Notice]]
_providers: dict[str, NoticeProvider] = {}


def register(name: str, provider: NoticeProvider) -> None:
    """Add (or replace, on a second ``ready``) the provider known by ``name``."""
    _providers[name] = provider


def unregister(name: str) -> None:
    _providers.pop(name, None)


def notices_for(conversation: Conversation) -> list[Notice]:
    """Every provider's notices for this conversation, in registration order."""
    found: list[Notice] = []
    for name, provider in list(_providers.items()):
        try:
            found.extend(provider(conversation))
        except Exception:
            logger.exception(
                "replies: the notice provider %s failed for conversation %s", name, conversation.pk
            )
    return found
