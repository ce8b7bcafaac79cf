"""Reads of the voice-of-the-customer portal: the faceted case library, its trend and emerging issues, the
masked case page and the export rows.

Departments read what customers said and how the centre answered, never who they are. Everything shown comes
from masked text: the case index holds only masked tokens and text (services.py), and the case page masks
each message with the filter's lenient mask plus the customer's known name (``masking.for_departments``),
the filter's reasons included. Customers appear only as a case number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy.stats import poisson

from dabai.channels.models import CallRecord
from dabai.conversations.models import Conversation, Direction, Message
from dabai.core.choices import Channel
from dabai.customers.models import Tier
from dabai.insights import masking, search
from dabai.insights.models import Case, CaseShare, CaseTopic, SavedSearch
from dabai.replies import labels
from dabai.replies.selectors import insight_badges, message_pieces

MULTI = ("topic", "intent", "voice", "sentiment", "channel", "product", "tier")
FLAGS = ("escalation", "follow_up")
FILTER_PARAMS = ("q", *MULTI, *FLAGS, "since", "until")
FLAG_FIELDS = {"escalation": "escalation", "follow_up": "has_follow_up"}
PRODUCT_FACET_SIZE = 12
TOPIC_FACET_SIZE = 15
EXPORT_LIMIT = 10_000
TREND_WEEKS = 12
BASELINE_WEEKS = 8
EMERGING_MIN_COUNT = 5
EMERGING_P_VALUE = 0.01
BASELINE_FLOOR = 0.5  # a topic never seen before still has a small expected count


def _facet_titles() -> dict[str, str]:
    return {
        "topic": _("Topic"),
        "intent": _("Intent"),
        "voice": _("Voice"),
        "sentiment": _("Sentiment"),
        "channel": _("Channel"),
        "product": _("Product"),
        "tier": _("Customer tier"),
        "escalation": _("Escalation risk"),
        "follow_up": _("Follow-up"),
    }


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


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    toggle: str


@dataclass(frozen=True)
class Facet:
    key: str
    title: str
    values: list[FacetValue]


def facets(filters: CaseFilters) -> list[Facet]:
    """Counts per value of every facet, each counted with the other facets applied (one query per facet)."""
    titles = _facet_titles()
    out = []
    for facet in (*MULTI, *FLAGS):
        if facet == "topic":
            out.append(_topic_facet(filters, titles["topic"]))
            continue
        column = FLAG_FIELDS.get(facet, facet)
        rows = filtered(filters, without=facet).values(column).annotate(n=Count("pk")).order_by("-n", column)
        if facet == "product":
            rows = rows.exclude(product="")[:PRODUCT_FACET_SIZE]
        values = []
        for row in rows:
            raw = row[column]
            value = ("1" if raw else "0") if facet in FLAGS else str(raw)
            selected = (
                filters.flags.get(facet) == value
                if facet in FLAGS
                else value in filters.chosen.get(facet, [])
            )
            values.append(
                FacetValue(
                    value, value_label(facet, value), row["n"], selected, filters.toggled(facet, value)
                )
            )
        out.append(Facet(facet, titles[facet], values))
    return out


def _topic_facet(filters: CaseFilters, title: str) -> Facet:
    """Cases per topic (a case may have several), with the other facets applied: one query."""
    chosen = filters.chosen.get("topic", [])
    rows = (
        filtered(filters, without="topic")
        .filter(topics__topic__is_active=True)
        .values("topics__topic_id", "topics__topic__name")
        .annotate(
            n=Count("pk"),
            # a selected topic stays listed (and can be switched off) however small it is
            chosen=ExpressionWrapper(
                Q(topics__topic_id__in=[int(v) for v in chosen]), output_field=BooleanField()
            ),
        )
        .order_by("-chosen", "-n", "topics__topic__name")[:TOPIC_FACET_SIZE]
    )
    values = [
        FacetValue(
            str(row["topics__topic_id"]),
            row["topics__topic__name"],
            row["n"],
            str(row["topics__topic_id"]) in chosen,
            filters.toggled("topic", str(row["topics__topic_id"])),
        )
        for row in rows
    ]
    return Facet("topic", title, values)


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


def results(filters: CaseFilters, page_number: Any, per_page: int = 25) -> tuple[Any, list[CaseRow], int]:
    """One page of matching cases (best first with a query, newest first without) and the total count."""
    from django.core.paginator import Paginator

    qs = filtered(filters)
    terms = search.parse_query(filters.q) if filters.q else []
    if terms:
        ranked = search.rank(qs, terms)
        page = Paginator(ranked, per_page).get_page(page_number)
        chosen = {c.pk: c for c in Case.objects.filter(pk__in=list(page)).only(*LIST_FIELDS, "text")}
        cases = [chosen[pk] for pk in page if pk in chosen]
        total = qs.count()
    else:
        page = Paginator(qs.order_by("-opened_at", "-pk").only(*LIST_FIELDS, "summary"), per_page).get_page(
            page_number
        )
        cases = list(page)
        total = page.paginator.count
    return page, _rows(cases, terms), total


# ------------------------------------------------------------------------------------------------ trends


def _week_windows(now: datetime, weeks: int) -> list[tuple[datetime, datetime]]:
    """Rolling 7-day windows ending now, oldest first (the last is "the last 7 days")."""
    return [(now - timedelta(days=7 * (k + 1)), now - timedelta(days=7 * k)) for k in reversed(range(weeks))]


def weekly_counts(qs: QuerySet[Case], now: datetime | None = None, weeks: int = TREND_WEEKS) -> list[dict]:
    """Cases per 7-day window (unique conversations), in one query whatever the data size."""
    now = now or timezone.now()
    windows = _week_windows(now, weeks)
    counts = qs.aggregate(
        **{
            f"w{i}": Count("pk", filter=Q(opened_at__gte=a, opened_at__lt=b))
            for i, (a, b) in enumerate(windows)
        }
    )
    return [
        {
            "start": a.date().isoformat(),
            "end": (b - timedelta(seconds=1)).date().isoformat(),
            "count": counts[f"w{i}"],
        }
        for i, (a, b) in enumerate(windows)
    ]


@dataclass(frozen=True)
class Rise:
    """This week's count against the previous weeks' mean, and how surprising it is under Poisson."""

    observed: int
    baseline: float
    p_value: float
    significant: bool

    @property
    def ratio(self) -> float:
        return self.observed / max(self.baseline, BASELINE_FLOOR)


def rise(observed: int, previous: list[int]) -> Rise:
    """One-sided Poisson test: P(X ≥ observed) for X ~ Poisson(mean of the previous weeks, at least 0.5).

    Significant when that probability is below ``EMERGING_P_VALUE`` and at least ``EMERGING_MIN_COUNT``
    cases arrived this week (a jump from 0 to 2 is noise, however improbable).
    """
    baseline = sum(previous) / len(previous) if previous else 0.0
    p_value = float(poisson.sf(observed - 1, max(baseline, BASELINE_FLOOR))) if observed else 1.0
    significant = observed >= EMERGING_MIN_COUNT and observed > baseline and p_value < EMERGING_P_VALUE
    return Rise(observed, round(baseline, 2), p_value, significant)


def trend(filters: CaseFilters, now: datetime | None = None) -> tuple[list[dict], Rise]:
    counts = weekly_counts(filtered(filters), now)
    return counts, rise(counts[-1]["count"], [c["count"] for c in counts[-1 - BASELINE_WEEKS : -1]])


# ------------------------------------------------------------------------------------------ the case page


@dataclass(frozen=True)
class ShownBadge:
    label: str
    css: str
    reasons: list[str]


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str
    text: str


@dataclass(frozen=True)
class MaskedMessage:
    direction: str
    sent_at: object
    text: str
    badges: list[ShownBadge] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    recording_url: str = ""
    duration_seconds: int = 0


def case(pk: int) -> Case | None:
    return Case.objects.select_related("conversation").filter(pk=pk).first()


def _badges(message: Message, names: list[str]) -> list[ShownBadge]:
    insight = getattr(message, "insight", None)
    if insight is None:
        return []
    shown = []
    for badge in insight_badges(insight, message_pieces(message, insight)):
        reasons = [masking.for_departments(str(r), names) for r in badge.reasons if r]
        shown.append(ShownBadge(str(badge.label), badge.css, reasons))
    return shown


def masked_thread(conversation: Conversation, *, with_recordings: bool) -> list[MaskedMessage]:
    """The thread as departments read it: e-mails, chat lines and call transcripts, every text masked,
    the filter's badges and reasons on each customer message; recording links only when allowed."""
    names = [conversation.customer.display_name]
    messages = list(
        conversation.messages.exclude(direction=Direction.NOTE)
        .select_related("insight")
        .order_by("sent_at", "id")
    )
    calls = {c.message_id: c for c in CallRecord.objects.filter(message__in=messages)}
    out = []
    for m in messages:
        call = calls.get(m.pk)
        transcript = []
        if call is not None:
            for line in call.transcript or []:
                if isinstance(line, dict) and line.get("text"):
                    speaker = (
                        _("Customer")
                        if line.get("speaker") in {"customer", "caller"}
                        else _("Service centre")
                    )
                    transcript.append(
                        TranscriptLine(speaker, masking.for_departments(str(line["text"]), names))
                    )
        out.append(
            MaskedMessage(
                m.direction,
                m.sent_at,
                masking.for_departments(m.body, names),
                _badges(m, names) if m.direction == Direction.INBOUND else [],
                transcript,
                (call.recording_url if call is not None and with_recordings else ""),
                call.duration_seconds if call is not None else 0,
            )
        )
    return out


def share(token: str) -> CaseShare | None:
    return CaseShare.objects.select_related("conversation__customer").filter(token=token[:64]).first()


def saved_searches(owner) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(owner=owner)


# ------------------------------------------------------------------------------------------------ export


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
    terms = search.parse_query(filters.q) if filters.q else []
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


def chart_payload(counts: list[dict]) -> dict:
    return {"labels": [c["start"][5:] for c in counts], "counts": [c["count"] for c in counts]}


def p_value_text(r: Rise) -> str:
    return f"p={r.p_value:.2g}" if r.p_value >= 1e-6 else "p<1e-6"
