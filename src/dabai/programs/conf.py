"""Programme settings: from ``django.conf.settings`` at call time, defaulting to the environment.

- ``DABAI_PUBLIC_URL``: the site's public address, for absolute links in invitations, confirmations and QR
  codes (without it links are relative to the request that built them, or to http://localhost:8000).
- ``DABAI_CJK_FONT``: the TrueType font certificates are printed with (Debian's ``fonts-wqy-microhei``).
- ``DABAI_PROGRAMS_PUBLIC_REQUESTS`` (30) per ``DABAI_PROGRAMS_PUBLIC_WINDOW_SECONDS`` (600): how many public
  requests (registrations, certificate checks, questions) one address may make before a 429.
"""

import os
from typing import Any

from django.conf import settings

DEFAULT_CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
MAX_REMINDERS = 2


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, os.environ.get(name, default))


def public_url() -> str:
    return str(_get("DABAI_PUBLIC_URL", "")).rstrip("/") or "http://localhost:8000"


def cjk_font() -> str:
    return str(_get("DABAI_CJK_FONT", DEFAULT_CJK_FONT))


def public_requests() -> int:
    return int(_get("DABAI_PROGRAMS_PUBLIC_REQUESTS", 30))


def public_window_seconds() -> int:
    return int(_get("DABAI_PROGRAMS_PUBLIC_WINDOW_SECONDS", 600))
