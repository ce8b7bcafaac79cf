"""Outreach settings from the environment (tests override them with ``settings``).

- ``DABAI_OUTREACH_CAP`` / ``DABAI_OUTREACH_CAP_DAYS``: at most N marketing or care messages per customer in
  that many days (transactional and incident notices are exempt); defaults 2 in 7 days.
- ``DABAI_OUTREACH_RATE_SMS`` / ``_WECHAT`` / ``_EMAIL``: messages handed to each channel per minute.
- ``DABAI_PUBLIC_URL``: the site's public address, for the unsubscribe link in emails.
"""

import os

from django.conf import settings

DEFAULT_RATES = {"sms": 200, "wechat": 200, "email": 100}


def _get(name: str, default: str) -> str:
    return str(getattr(settings, name, os.environ.get(name, default)))


def cap() -> int:
    return int(_get("DABAI_OUTREACH_CAP", "2"))


def cap_days() -> int:
    return int(_get("DABAI_OUTREACH_CAP_DAYS", "7"))


def rate_per_minute(channel: str) -> int:
    return max(1, int(_get(f"DABAI_OUTREACH_RATE_{channel.upper()}", str(DEFAULT_RATES.get(channel, 60)))))


def public_url() -> str:
    return _get("DABAI_PUBLIC_URL", "").rstrip("/")
