"""Segment rules over what customers wrote: "mentioned product X in the last N days" and "mentioned one of
these order numbers" (a pasted list or a CSV).

dabai has no order model: what it knows about orders and products is what the filter read in customers'
messages (``Insight.analysis["entities"]``, kinds ``product`` and ``order_number``, whose text is part of the
message) and the tags a centre gives customers (a CRM import tagging owners of a product). Each rule is one
query however many customers or order numbers it names; the entity kind is checked on the rows it returns,
so a product name that appears in a message without the filter reading it as a product does not count.
"""

import csv
import io
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q

from dabai.conversations.models import Direction, Insight
from dabai.customers.models import Customer

DEFAULT_MENTION_DAYS = 90
ORDER_DAYS = 365
MAX_ORDER_NUMBERS = 100_000
ORDER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{3,39}")


def _fold(text: str) -> str:
    return text.strip().casefold()


def _entities(rows: Iterable[tuple[int, object]], kind: str) -> Iterable[tuple[int, str]]:
    """(customer, folded entity text) for every entity of ``kind`` in the rows' entity lists."""
    for customer_id, entities in rows:
        for entity in entities if isinstance(entities, list) else []:
            if isinstance(entity, dict) and entity.get("kind") == kind and entity.get("text"):
                yield customer_id, _fold(str(entity["text"]))


def customers_mentioning_products(products: list[str], days: int, now: datetime) -> set[int]:
    """Customers whose messages of the last ``days`` name one of ``products`` (as the filter read it), or
    who are tagged with one of them. Two queries whatever the numbers."""
    wanted = {_fold(p) for p in products if p.strip()}
    if not wanted:
        return set()
    said = Q()
    for product in products:
        if product.strip():
            said |= Q(message__body__icontains=product.strip())
    rows = (
        Insight.objects.filter(
            said,
            message__direction=Direction.INBOUND,
            message__sent_at__gte=now - timedelta(days=days),
            is_spam=False,
        )
        .values_list("message__conversation__customer_id", "analysis__entities")
        .iterator(chunk_size=2000)
    )
    found = {c for c, text in _entities(rows, "product") if any(w == text or w in text for w in wanted)}
    tagged = Customer.tags.through.objects.filter(
        customertag__name__in=[p.strip() for p in products if p.strip()]
    ).values_list("customer_id", flat=True)
    return found | set(tagged)


def customers_with_orders(order_numbers: list[str], now: datetime, days: int = ORDER_DAYS) -> set[int]:
    """Customers who wrote one of these order numbers in the last ``days``: one query over the messages the
    filter found an order number in, matched against the list in memory (a list of thousands stays one
    query, where an ``IN`` or ``LIKE`` per number would not)."""
    wanted = {_fold(n) for n in order_numbers if n.strip()}
    if not wanted:
        return set()
    rows = (
        Insight.objects.filter(
            message__direction=Direction.INBOUND,
            message__sent_at__gte=now - timedelta(days=days),
            analysis__entities__icontains="order_number",
        )
        .values_list("message__conversation__customer_id", "analysis__entities")
        .iterator(chunk_size=2000)
    )
    return {c for c, text in _entities(rows, "order_number") if text in wanted}


def parse_order_numbers(text: str) -> tuple[list[str], list[str]]:
    """Order numbers from pasted text (one per line, or separated by commas, spaces or semicolons) or a CSV
    with an ``order_number`` column; returns (numbers in order without repeats, errors with line numbers)."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    errors: list[str] = []
    numbers: list[str] = []
    if lines and "order_number" in [c.strip() for c in lines[0].split(",")]:
        reader = csv.DictReader(io.StringIO(text))
        pieces = [(line, (row.get("order_number") or "").strip()) for line, row in enumerate(reader, start=2)]
    else:
        pieces = [
            (line, piece.strip())
            for line, row in enumerate(lines, start=1)
            for piece in re.split(r"[,，;；\s]+", row)
        ]
    for line, piece in pieces:
        if not piece:
            continue
        if ORDER_RE.fullmatch(piece):
            numbers.append(piece.upper())
        else:
            errors.append(f"line {line}: {piece[:40]!r} is not an order number")
    numbers = list(dict.fromkeys(numbers))
    if len(numbers) > MAX_ORDER_NUMBERS:
        errors.append(f"more than {MAX_ORDER_NUMBERS} order numbers")
        numbers = numbers[:MAX_ORDER_NUMBERS]
    return numbers, errors
