"""Survey settings: from ``django.conf.settings`` at call time, defaulting to the environment.

- ``DABAI_SURVEY_INVITATION_DAYS`` (30): how long an invitation link can be answered unless the caller says.
- ``DABAI_SURVEY_REMINDER_GAP_HOURS`` (48): the builder's reminder button and the daily reminder run leave at
  least this long between two emails to the same person.
- ``DABAI_PUBLIC_URL``: the site's public address, for absolute links in emails.
"""

import os
from datetime import timedelta
from typing import Any

from django.conf import settings

MAX_REMINDERS = 2


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, os.environ.get(name, default))


def invitation_valid_days() -> int:
    return int(_get("DABAI_SURVEY_INVITATION_DAYS", 30))


def reminder_gap() -> timedelta:
    return timedelta(hours=float(_get("DABAI_SURVEY_REMINDER_GAP_HOURS", 48)))


def public_url() -> str:
    return str(_get("DABAI_PUBLIC_URL", "")).rstrip("/")
