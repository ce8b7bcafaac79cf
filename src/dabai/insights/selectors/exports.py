"""The case library's CSV export: one masked row per conversation of the filtered set."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.conversations.models import Conversation
from dabai.insights import search
from dabai.insights.models import Case
from dabai.insights.selectors.filters import CaseFilters, filtered, value_label

EXPORT_LIMIT = 10_000


def export_header() -> list[str]:
    return [
        _("Case"),
        _("Opened"),
        _("Channel"),
        _("Topic"),
        _("Voice"),
        _("Sentiment"),
        _("Escalation risk"),
        _("Product"),
        _("Customer tier"),
        _("Status"),
        _("Messages"),
        _("What the customer said (masked)"),
        _("Link"),
    ]


def export_rows(filters: CaseFilters, link) -> list[list[Any]]:
    """One row per conversation of the filtered set (ranked with a query), at most ``EXPORT_LIMIT``."""
    qs = filtered(filters)
    terms = filters.terms
    fields = (
        "conversation_id",
        "opened_at",
        "channel",
        "intent",
        "voice",
        "sentiment",
        "escalation",
        "product",
        "tier",
        "status",
        "message_count",
        "text",
    )
    if terms:
        order = search.rank(qs, terms)
        by_pk = {row[0]: row for row in Case.objects.filter(pk__in=order).values_list(*fields)}
        rows = [by_pk[pk] for pk in order if pk in by_pk]
    else:
        rows = list(qs.order_by("-opened_at", "-pk").values_list(*fields)[:EXPORT_LIMIT])
    statuses = dict(Conversation._meta.get_field("status").choices)
    return [
        [
            pk,
            timezone.localtime(opened).strftime("%Y-%m-%d %H:%M"),
            value_label("channel", channel),
            value_label("intent", intent) if intent else "",
            value_label("voice", voice) if voice else "",
            value_label("sentiment", sentiment) if sentiment else "",
            _("Yes") if risk else _("No"),
            product,
            value_label("tier", tier) if tier else "",
            str(statuses.get(status, status)),
            count,
            text[:2000],
            link(pk),
        ]
        for pk, opened, channel, intent, voice, sentiment, risk, product, tier, status, count, text in rows
    ]
