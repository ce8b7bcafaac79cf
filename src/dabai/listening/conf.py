"""Listening settings from the environment (tests override them with ``settings``)."""

import os

from django.conf import settings


def _get(name: str, default: str) -> str:
    return str(getattr(settings, name, os.environ.get(name, default)))


def own_accounts() -> set[str]:
    """Our Weibo names: a post that @-mentions one of them is the Weibo channel's, not listening's."""
    return {
        n.strip().lstrip("@").lower() for n in _get("DABAI_WEIBO_OWN_ACCOUNTS", "").split(",") if n.strip()
    }


def burst_minimum() -> int:
    """At least this many mentions of one topic in an hour before it can be a burst."""
    return int(_get("DABAI_LISTENING_BURST_MIN", "10"))


def burst_factor() -> float:
    """…and this many times the topic's usual hourly rate over the past week."""
    return float(_get("DABAI_LISTENING_BURST_FACTOR", "3"))


def poll_seconds() -> int:
    return int(_get("DABAI_LISTENING_POLL_SECONDS", "60"))
