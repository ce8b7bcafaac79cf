"""``dabai recompute_outcomes``: derive the outcomes again from the stored facts, set-wise in chunks.

After a rule change (the first-contact window, the business calendar) or a restored backup, recompute them
all; after an outage of the worker, the last days (``--days 1`` or ``--since 2026-11-30``); one
conversation with ``--conversation 123``. Each chunk of conversations costs a fixed number of queries, and
each chunk commits on its own, so an interrupted run keeps what it finished and can simply be run again.
"""

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dabai.conversations.models import Conversation, Direction, Message
from dabai.quality import services
from dabai.quality.models import Outcome

CHUNK = 5000


def settled_ids(since: datetime | None = None) -> Iterator[list[int]]:
    """Conversations that are or were resolved, in id order and chunks (those with activity since then)."""
    rows = Conversation.objects.filter(
        Q(status__in=services.SETTLED) | Q(outcome__isnull=False), customer__is_probe=False
    )
    if since is not None:
        rows = rows.filter(
            Q(last_message_at__gte=since) | Q(resolved_at__gte=since) | Q(closed_at__gte=since)
        )
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def touched_since(since: datetime) -> set[int]:
    """Earlier outcomes a customer's later contact may change: the same customer wrote or called since, inside
    the outcome's repeat-contact window (one query)."""
    writers = Message.objects.filter(direction=Direction.INBOUND, sent_at__gte=since).values(
        "conversation__customer_id"
    )
    return set(
        Outcome.objects.filter(
            customer_id__in=writers, window_ends_at__gte=since, first_resolved_at__lt=timezone.now()
        ).values_list("conversation_id", flat=True)
    )


class Command(BaseCommand):
    help = "Recompute conversation outcomes from the stored facts (all, recent ones, or one conversation)."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--since", type=date.fromisoformat, help="only activity since this date (YYYY-MM-DD)"
        )
        which.add_argument("--days", type=int, help="only activity in the last N days")
        which.add_argument("--conversation", type=int, help="only this conversation")

    def handle(
        self, *args, since: date | None, days: int | None, conversation: int | None, **options
    ) -> None:
        started = time.perf_counter()
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more")
        if conversation is not None:
            if not Conversation.objects.filter(pk=conversation).exists():
                raise CommandError(f"no conversation #{conversation}")
            chunks: Iterator[list[int]] = iter([[conversation]])
            scope = f"conversation #{conversation}"
        else:
            start = None
            if since is not None:
                start = timezone.make_aware(datetime.combine(since, datetime.min.time()))
            elif days is not None:
                start = timezone.now() - timedelta(days=days)
            chunks = settled_ids(start)
            scope = "all conversations" if start is None else f"activity since {start:%Y-%m-%d %H:%M}"
            if start is not None:
                extra = sorted(touched_since(start))
                chunks = _chained(chunks, [extra[i : i + CHUNK] for i in range(0, len(extra), CHUNK)])
        considered = computed = 0
        seen: set[int] = set()
        for chunk in chunks:
            chunk = [pk for pk in chunk if pk not in seen]
            seen.update(chunk)
            with transaction.atomic():
                computed += len(services.recompute_outcomes(chunk))
            considered += len(chunk)
            if options["verbosity"] > 1:
                self.stdout.write(f"  {considered} conversations, {computed} outcomes…")
        elapsed = time.perf_counter() - started
        rate = f", {computed / elapsed:.0f}/s" if elapsed > 0 and computed else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Recomputed {computed} outcomes of {considered} conversations ({scope}) "
                f"in {elapsed:.1f} s{rate}."
            )
        )


def _chained(*parts) -> Iterator[list[int]]:
    for part in parts:
        yield from part
