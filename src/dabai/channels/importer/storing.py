"""Storing checked rows through the one writer, set-wise: duplicates dropped, customers resolved, new
conversations recorded and the messages of conversations stored earlier appended."""

from django.db import connection
from django.db.models import Q

from dabai.channels.importer.rows import Row
from dabai.channels.models import ImportedConversation
from dabai.conversations.models import Conversation, Message
from dabai.conversations.services.history import (
    PastConversation,
    PastMessage,
    append_history,
    record_history,
)
from dabai.customers.services import resolve_customers


def store_rows(parsed: list[Row]) -> tuple[int, int]:
    """Store checked rows through the one writer: (imported, duplicates)."""
    fresh, duplicates = _fresh(parsed)
    if not fresh:
        return 0, duplicates
    customers = resolve_customers([row.handle for row in fresh])
    mapped = {
        imported.key: imported.conversation
        for imported in ImportedConversation.objects.select_related("conversation").filter(
            key__in={row.key for row in fresh}
        )
    }
    new: dict[str, list[Row]] = {}
    old: dict[Conversation, list[PastMessage]] = {}
    for row in fresh:
        if row.key in mapped:
            old.setdefault(mapped[row.key], []).append(row.message)
        else:
            new.setdefault(row.key, []).append(row)
    past = [
        PastConversation(
            customer=customers[group[0].handle],
            channel=group[0].channel,
            messages=[row.message for row in group],
            subject=group[0].subject,
            status=group[0].status,
        )
        for group in new.values()
    ]
    created = record_history(past)
    ImportedConversation.objects.bulk_create(
        [
            ImportedConversation(key=key, conversation=conversation)
            for key, conversation in zip(new, created, strict=True)
        ]
    )
    append_history(old)
    return len(fresh), duplicates


def _fresh(parsed: list[Row]) -> tuple[list[Row], int]:
    """The rows not stored before (by an earlier run, or earlier in this chunk), and how many were."""
    by_channel: dict[str, set[str]] = {}
    for row in parsed:
        by_channel.setdefault(row.channel, set()).add(row.message.external_id)
    stored = _stored(by_channel) if parsed else set()
    fresh = []
    for row in parsed:
        identity = (row.channel, row.message.external_id)
        if identity not in stored:
            stored.add(identity)
            fresh.append(row)
    return fresh, len(parsed) - len(fresh)


def _stored(by_channel: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Which of these (channel, message id) pairs are stored. On PostgreSQL the ids go as one array instead
    of a placeholder each: the driver's parsing of a thousand placeholders cost more than the query."""
    if connection.vendor != "postgresql":
        query = Q()
        for channel, ids in by_channel.items():
            query |= Q(channel=channel, external_id__in=ids)
        return set(Message.objects.filter(query).values_list("channel", "external_id"))
    table = connection.ops.quote_name(Message._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT channel, external_id FROM {table} WHERE channel = ANY(%s) AND external_id = ANY(%s)",
            [list(by_channel), [i for ids in by_channel.values() for i in ids]],
        )
        return {(channel, i) for channel, i in cursor.fetchall() if i in by_channel[channel]}
