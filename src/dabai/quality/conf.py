"""Quality settings: from ``django.conf.settings`` at call time, defaulting to the environment.

- ``DABAI_FCR_WINDOW_DAYS`` (7): a new contact about the same topic within this many days of resolution means
  the problem was not solved on first contact.
- ``DABAI_SURVEY_COOLDOWN_DAYS`` (30): at most one satisfaction survey per customer in this many days.
- ``DABAI_SURVEY_DELAY_MINUTES`` (0): delay after resolution (a quick reopen cancels the survey).
- ``DABAI_SURVEY_VALID_DAYS`` (14): how long a survey link can be answered.
- ``DABAI_PUBLIC_URL``: the site's public address, for absolute survey links and the channel probes.
- ``DABAI_PROBE_INTERVAL_MINUTES`` (10): how often each configured channel is probed (0 turns probes off).
- ``DABAI_PROBE_THRESHOLD_SECONDS`` (120): a probe must be stored and analysed within this; per channel
  ``DABAI_PROBE_THRESHOLD_SECONDS_SMS`` (``_EMAIL``, ``_WECHAT``, ``_WEIBO``, ``_PHONE``) overrides it.
- ``DABAI_PROBE_CHANNELS`` ("auto"): comma-separated channels to probe; "auto" probes every configured one.
"""

import os
from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, os.environ.get(name, default))


def fcr_window_days() -> int:
    return int(_get("DABAI_FCR_WINDOW_DAYS", 7))


def survey_cooldown_days() -> int:
    return int(_get("DABAI_SURVEY_COOLDOWN_DAYS", 30))


def survey_delay_minutes() -> int:
    return int(_get("DABAI_SURVEY_DELAY_MINUTES", 0))


def survey_valid_days() -> int:
    return int(_get("DABAI_SURVEY_VALID_DAYS", 14))


def public_url() -> str:
    return str(_get("DABAI_PUBLIC_URL", "")).rstrip("/")


def probe_interval_minutes() -> int:
    return int(_get("DABAI_PROBE_INTERVAL_MINUTES", 10))


def probe_threshold_seconds(channel: str) -> int:
    default = int(_get("DABAI_PROBE_THRESHOLD_SECONDS", 120))
    return int(_get(f"DABAI_PROBE_THRESHOLD_SECONDS_{channel.upper()}", default))


def probe_channels() -> list[str] | None:
    """The channels named in ``DABAI_PROBE_CHANNELS``, or None for "every configured channel"."""
    value = _get("DABAI_PROBE_CHANNELS", "auto")
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [item.strip().lower() for item in items if item.strip()]
    return None if names in ([], ["auto"]) else names
