"""The case library's filters: a query, facet values, flags and a date range, read from the query string, and
the cases they select."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.core.choices import Channel
from dabai.customers.models import Tier
from dabai.insights import masking, search
from dabai.insights.models import Case, CaseTopic
from dabai.replies import labels

MULTI = ("topic", "intent", "voice", "sentiment", "channel", "product", "tier")
FLAGS = ("escalation", "follow_up")
FILTER_PARAMS = ("q", *MULTI, *FLAGS, "since", "until")
FLAG_FIELDS = {"escalation": "escalation", "follow_up": "has_follow_up"}


def value_label(facet: str, value: str) -> str:
    mapping: dict[str, Any] = {
        "intent": labels.INTENT,
        "voice": labels.VOICE,
        "sentiment": labels.SENTIMENT,
        "channel": dict(Channel.choices),
        "tier": dict(Tier.choices),
    }.get(facet, {})
    if facet in FLAGS:
        return _("Yes") if value == "1" else _("No")
    if not value:
        return _("(none)")
    return str(mapping.get(value, value))


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass
class CaseFilters:
    q: str = ""
    chosen: dict[str, list[str]] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, query: QueryDict) -> CaseFilters:
        chosen = {f: [v[:64] for v in query.getlist(f) if v][:20] for f in MULTI}
        chosen["topic"] = [v for v in chosen["topic"] if v.isdecimal() and len(v) < 12]
        flags = {f: query.get(f, "") for f in FLAGS if query.get(f, "") in {"0", "1"}}
        return cls(
            # the index holds masked text only, so personal data in a query finds nothing: it is masked
            # before searching, echoing, saving and exporting like everything else on the portal
            q=masking.for_departments(query.get("q", "").strip()[:200]),
            chosen={f: v for f, v in chosen.items() if v},
            flags=flags,
            since=_date(query.get("since")),
            until=_date(query.get("until")),
        )

    def pairs(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        out += [(f, v) for f in MULTI for v in self.chosen.get(f, [])]
        out += [(f, v) for f, v in self.flags.items()]
        out += [(k, d.isoformat()) for k, d in (("since", self.since), ("until", self.until)) if d]
        return out

    def query_string(self) -> str:
        return urlencode(self.pairs())

    def toggled(self, facet: str, value: str) -> str:
        """The query string with *value* of *facet* switched on or off."""
        pairs = self.pairs()
        if facet in FLAGS:
            pairs = [(k, v) for k, v in pairs if k != facet]
            if self.flags.get(facet) != value:
                pairs.append((facet, value))
        elif (facet, value) in pairs:
            pairs.remove((facet, value))
        else:
            pairs.append((facet, value))
        return urlencode(pairs)

    @property
    def active(self) -> bool:
        return bool(self.pairs())

    @cached_property
    def terms(self) -> list[search.Term]:
        """The query's search terms, parsed once per request (synonym groups come from the database)."""
        return search.parse_query(self.q) if self.q else []


def _window(day: date, end: bool = False) -> datetime:
    moment = datetime.combine(day + timedelta(days=1) if end else day, datetime.min.time())
    return timezone.make_aware(moment)


def filtered(filters: CaseFilters, *, without: str = "") -> QuerySet[Case]:
    """The cases matching every filter (except facet *without*, for its own counts)."""
    qs = Case.objects.all()
    for facet, values in filters.chosen.items():
        if facet == "topic" and without != "topic":
            qs = qs.filter(pk__in=CaseTopic.objects.filter(topic_id__in=values).values("case_id"))
        elif facet != without:
            qs = qs.filter(**{f"{facet}__in": values})
    for facet, value in filters.flags.items():
        if facet != without:
            qs = qs.filter(**{FLAG_FIELDS[facet]: value == "1"})
    if filters.since:
        qs = qs.filter(opened_at__gte=_window(filters.since))
    if filters.until:
        qs = qs.filter(opened_at__lt=_window(filters.until, end=True))
    return search.matching(qs, search.parse_query(filters.q)) if filters.q else qs
    return search.matching(qs, filters.terms) if filters.q else qs
