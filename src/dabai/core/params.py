"""Numbers from the outside (query strings, form fields, import rows), parsed without surprises.

``str.isdigit`` is true for ``²`` and ``٣`` and ``int()`` takes ``٣`` and 5,000-digit strings, and a number
beyond 64 bits overflows the database driver: each of those was a 500.  Only plain ASCII digits in range pass.
"""

from __future__ import annotations

import re

from django.core.exceptions import BadRequest
from django.http import HttpRequest

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
MAX_ID = 2**63 - 1  # the largest primary key any supported database stores


def parse_id(raw: object) -> int | None:
    """A database id from outside input: plain ASCII digits, 1 to 2**63-1; None for anything else."""
    text = str(raw).strip() if raw is not None else ""
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def query_int(request: HttpRequest, name: str, default: int, *, maximum: int = 10**6) -> int:
    """A non-negative whole number from the query string; *default* when absent, a 400 when malformed."""
    raw = request.GET.get(name, "").strip()
    if raw == "":
        return default
    if not _ASCII_DIGITS.fullmatch(raw) or int(raw) > maximum:
        raise BadRequest(f"{name} must be a whole number from 0 to {maximum}")
    return int(raw)
