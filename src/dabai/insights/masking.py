"""Text as it may leave the desk for the portal: the filter's lenient mask, and the customer's own name.

``mask(lenient=True)`` hides personal numbers and addresses, spaced, dotted or with a wrong check digit, and
names it finds after a cue (我叫…); a customer who writes their name without a cue is caught here, because we
know their name: every occurrence of it becomes ``张**``.
"""

from collections.abc import Iterable

from dabai.filter import mask
from dabai.filter.pii import mask_span

MIN_NAME_LENGTH = 2


def for_departments(text: str, names: Iterable[str] = ()) -> str:
    masked = mask(text or "", lenient=True)
    known = {n.strip() for n in names if n and len(n.strip()) >= MIN_NAME_LENGTH}
    for name in sorted(known, key=len, reverse=True):
        masked = masked.replace(name, mask_span("name", name))
    return masked
