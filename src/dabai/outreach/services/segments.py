"""Who a campaign is for: a segment's rules resolved set-wise into customer ids, and the customer CSV.

Besides tier, tags, channel identities, recent topics, the at-risk score and a CSV of customers, there are
rules over what customers wrote: "mentioned product X in the last N days" and "mentioned one of these order
numbers" (a pasted list or a CSV).

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
from django.utils import timezone

from dabai.conversations.models import Direction, Insight
from dabai.customers.models import ChannelIdentity, Customer
from dabai.outreach.models import ContactPreference, HealthScore

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


def segment_customers(segment: dict, now: datetime | None = None) -> list[int]:
    """The customer ids a segment names (every given criterion must hold), in id order."""
    now = now or timezone.now()
    rows = Customer.objects.filter(merged_into__isnull=True, is_probe=False)  # channel probes are nobody
    if segment.get("tiers"):
        rows = rows.filter(tier__in=segment["tiers"])
    if segment.get("tags"):
        rows = rows.filter(tags__name__in=segment["tags"])
    if segment.get("identity_channels"):
        rows = rows.filter(identities__channel__in=segment["identity_channels"])
    if segment.get("intents"):
        since = now - timedelta(days=int(segment.get("intent_days") or 30))
        rows = rows.filter(
            pk__in=Insight.objects.filter(intent__in=segment["intents"], message__sent_at__gte=since).values(
                "message__conversation__customer_id"
            )
        )
    if segment.get("min_risk"):
        rows = rows.filter(
            pk__in=HealthScore.objects.filter(score__gte=int(segment["min_risk"])).values("customer_id")
        )
    if segment.get("customer_ids"):
        rows = rows.filter(pk__in=[int(c) for c in segment["customer_ids"]])
    if segment.get("care"):
        rows = rows.filter(pk__in=ContactPreference.objects.filter(care_opt_in=True).values("customer_id"))
    if segment.get("incident"):
        from dabai.outreach.services.incidents import affected_customers

        rows = rows.filter(pk__in=affected_customers(int(segment["incident"])))
    ids = list(rows.order_by("pk").values_list("pk", flat=True).distinct())
    # What customers wrote about (products, order numbers) is matched in memory: one query per rule.
    if segment.get("products"):
        days = int(segment.get("mention_days") or DEFAULT_MENTION_DAYS)
        named = customers_mentioning_products(segment["products"], days, now)
        ids = [c for c in ids if c in named]
    if segment.get("order_numbers"):
        ordered = customers_with_orders(segment["order_numbers"], now)
        ids = [c for c in ids if c in ordered]
    return ids


def parse_customer_csv(data: bytes) -> tuple[list[int], list[str]]:
    """Customer ids from a CSV (a ``customer_id`` column, or phone/email/handle in ``channel,handle``
    columns); returns (ids, errors with line numbers). Unknown rows are errors, never silently dropped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], ["line 1: the file is not UTF-8 text"]
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip() for f in (reader.fieldnames or [])}
    if "customer_id" not in fields and not {"channel", "handle"} <= fields:
        return [], ["line 1: expected a customer_id column, or channel and handle columns"]
    ids: list[int] = []
    errors: list[str] = []
    lookups: list[tuple[int, str, str]] = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if row.get("customer_id"):
            if row["customer_id"].isdigit():
                ids.append(int(row["customer_id"]))
            else:
                errors.append(f"line {line}: customer_id {row['customer_id']!r} is not a number")
        elif row.get("channel") and row.get("handle"):
            lookups.append((line, row["channel"], row["handle"]))
        else:
            errors.append(f"line {line}: empty row")
    known = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
    errors += [f"customer {c} does not exist" for c in ids if c not in known]
    ids = [c for c in ids if c in known]
    if lookups:
        found = {
            (ch, ext): c
            for ch, ext, c in ChannelIdentity.objects.filter(
                external_id__in=[h for _, _, h in lookups]
            ).values_list("channel", "external_id", "customer_id")
        }
        for line, channel, handle in lookups:
            if (channel, handle) in found:
                ids.append(found[(channel, handle)])
            else:
                errors.append(f"line {line}: no customer with {channel} {handle}")
    return list(dict.fromkeys(ids)), errors
