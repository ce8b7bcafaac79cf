"""One page of the case library: the matching cases, best first with a query, newest first without."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Paginator

from dabai.insights import search
from dabai.insights.models import Case
from dabai.insights.selectors.facets import Counts
from dabai.insights.selectors.filters import CaseFilters, filtered, value_label


@dataclass
class CaseRow:
    pk: int
    channel: str
    opened_at: datetime
    intent: str
    voice: str
    sentiment: str
    escalation: bool
    product: str
    snippet: Any


def _rows(cases: list[Case], terms: list) -> list[CaseRow]:
    return [
        CaseRow(
            c.pk,
            value_label("channel", c.channel),
            c.opened_at,
            value_label("intent", c.intent) if c.intent else "",
            value_label("voice", c.voice) if c.voice else "",
            c.sentiment,
            c.escalation,
            c.product,
            search.highlight(c.text, terms, width=110) if terms else c.summary,
        )
        for c in cases
    ]


LIST_FIELDS = (
    "conversation_id",
    "channel",
    "opened_at",
    "intent",
    "voice",
    "sentiment",
    "escalation",
    "product",
)


def results(
    filters: CaseFilters, page_number: Any, per_page: int = 25, *, counted: Counts | None = None
) -> tuple[Any, list[CaseRow], int]:
    """One page of matching cases (best first with a query, newest first without) and the total count;
    with the page's ``facets.count`` (*counted*) the matches are neither counted nor searched again."""
    qs = filtered(filters)
    terms = filters.terms
    total = counted.total if counted is not None else None
    if terms:
        if counted is not None and counted.newest is not None:
            ranked = search.rank_newest(counted.newest, terms)
        else:
            ranked = search.rank(qs, terms)
        page = Paginator(ranked, per_page).get_page(page_number)
        chosen = {c.pk: c for c in Case.objects.filter(pk__in=list(page)).only(*LIST_FIELDS, "text")}
        cases = [chosen[pk] for pk in page if pk in chosen]
        total = qs.count() if total is None else total
    else:
        paginator = Paginator(qs.order_by("-opened_at", "-pk").only(*LIST_FIELDS, "summary"), per_page)
        if total is not None:
            paginator.count = total  # a cached property: the page needs no COUNT of its own
        page = paginator.get_page(page_number)
        cases = list(page)
        total = page.paginator.count
    return page, _rows(cases, terms), total
