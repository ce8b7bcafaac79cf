"""Facet counts of the case library, the total and the weekly trend of the matching cases, in one query.

A facet's counts are taken with every *other* filter applied (so the other values of a chosen facet stay one
click away). Counting each facet with its own query re-ran the full-text match once per facet: at a million
messages that was most of a search's time. Here the cases matching the query and the date range (the
filters no facet switches off) are selected **once**, as a common table expression ``m`` carrying the facet
columns, and every facet, the total and the trend are ``GROUP BY``s over ``m`` joined by ``UNION ALL``, each
branch keeping the chosen values of the other facets in its ``WHERE``. The same SQL runs on SQLite and
PostgreSQL (PostgreSQL materialises a CTE used more than once); measured with ``bench/voc.py``.

Without a query the rows are the whole table (or a date range of it): at a million messages counting all
500 k cases took 4 s, and that is the page every department member opens first. Those counts (no query,
whatever facets are chosen) are kept for ``COUNTS_TTL_SECONDS``, like the BM25 corpus figures: a write of the
case index in this process forgets them at once, and a cheap fingerprint (the newest case, the topics' count
and last change) taken with every page makes new cases and topic edits from other processes show at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Case as When_
from django.db.models import CharField, Exists, F, IntegerField, OuterRef, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from dabai.insights import search
from dabai.insights.models import Case, CaseTopic, Topic
from dabai.insights.selectors.filters import FLAG_FIELDS, FLAGS, MULTI, CaseFilters, _window, value_label

PRODUCT_FACET_SIZE = 12
TOPIC_FACET_SIZE = 15
COLUMNS = ("channel", "intent", "voice", "sentiment", "product", "tier", "escalation", "has_follow_up")
TOTAL, WEEK, NEWEST = "_total", "_week", "_newest"
TREND_WEEKS = 12
COUNTS_TTL_SECONDS = 60.0
COUNTS_KEPT = 64  # distinct facet choices kept (least recently used dropped)

_kept: OrderedDict[tuple, tuple[float, list[tuple[str, str, int]]]] = OrderedDict()
_kept_lock = threading.Lock()  # the server's threads share the kept counts


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


@dataclass(frozen=True)
class Counts:
    """What the library page counts over the matching cases, and (with a query) the newest
    ``search.RANK_LIMIT`` of them, newest first: the ones BM25 ranks."""

    total: int
    weekly: list[dict]
    facets: list[Facet]
    newest: list[int] | None = None


def _base(filters: CaseFilters) -> QuerySet[Case]:
    """The cases of the query and the date range: the filters that no facet's own count leaves out (the
    match tested on each row, never joined back: this query is the outermost one)."""
    qs = Case.objects.all()
    if filters.since:
        qs = qs.filter(opened_at__gte=_window(filters.since))
    if filters.until:
        qs = qs.filter(opened_at__lt=_window(filters.until, end=True))
    return qs.filter(search.match_condition(filters.terms)) if filters.terms else qs


def _matching_sql(filters: CaseFilters, windows: list[tuple[datetime, datetime]]) -> tuple[str, list]:
    """``SELECT`` of the matching cases' facet columns (``f_<column>``), compiled by Django for either
    database; ``f_in_topic`` is 1 when a case has one of the chosen topics, ``f_week`` the number of its
    rolling week (0 the oldest shown, none before)."""
    columns = {"f_pk": F("pk"), "f_opened_at": F("opened_at"), **{f"f_{c}": F(c) for c in COLUMNS}}
    if filters.chosen.get("topic"):
        chosen = CaseTopic.objects.filter(case_id=OuterRef("pk"), topic_id__in=filters.chosen["topic"])
        columns["f_in_topic"] = When_(
            When(Exists(chosen), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    columns["f_week"] = When_(
        *(
            When(opened_at__gte=a, opened_at__lt=windows[-1][1], then=Value(str(i)))
            for i, (a, _b) in reversed(list(enumerate(windows)))
        ),
        default=None,
        output_field=CharField(),
    )
    sql, params = _base(filters).values(**columns).query.sql_with_params()
    return sql, list(params)


def _conditions(filters: CaseFilters, without: str = "") -> tuple[list[str], list]:
    """``WHERE`` conditions over ``m`` for the chosen facet values and flags, except facet *without*'s."""
    where, params = [], []
    for facet, values in filters.chosen.items():
        if facet == without:
            continue
        if facet == "topic":
            where.append("m.f_in_topic = 1")
        else:
            where.append(f"m.f_{facet} IN ({', '.join(['%s'] * len(values))})")
            params += values
    for facet, value in filters.flags.items():
        if facet != without:
            where.append(f"m.f_{FLAG_FIELDS[facet]} = %s")
            params.append(value == "1")
    return where, params


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _week_windows(now: datetime, weeks: int) -> list[tuple[datetime, datetime]]:
    """Rolling 7-day windows ending now, oldest first (the last is "the last 7 days")."""
    return [(now - timedelta(days=7 * (k + 1)), now - timedelta(days=7 * k)) for k in reversed(range(weeks))]


def _grouped(column: str, facet: str) -> str:
    """A grouped column as the facet's value text (NULL where the row's grouping set leaves it out)."""
    if facet in FLAGS:
        return f"CASE WHEN {column} THEN '1' WHEN NOT {column} THEN '0' END"
    return f"CAST({column} AS TEXT)"


def _topic_branch(filters: CaseFilters) -> tuple[str, list]:
    """Cases per active topic (a case may have several), with the other facets applied."""
    where, args = _conditions(filters, without="topic")
    topic_case = CaseTopic._meta.get_field("case").column
    sql = (
        "SELECT 'topic' AS facet, CAST(ct.topic_id AS TEXT) AS value, COUNT(*) AS n FROM m "
        f"JOIN {CaseTopic._meta.db_table} ct ON ct.{topic_case} = m.f_pk "
        f"JOIN {Topic._meta.db_table} t ON t.id = ct.topic_id"
        + _where(["t.is_active = %s", *where])
        + " GROUP BY ct.topic_id"
    )
    return sql, [True, *args]


def _grouping_sets_branch(filters: CaseFilters) -> tuple[str, list]:
    """PostgreSQL: every column facet, the weeks and the total in one pass over ``m`` (``GROUPING SETS``),
    each set counted with its own ``FILTER`` (the other facets' conditions); ``GROUPING()`` tells the sets
    apart and the one column a set groups by is its value."""
    keys = [*(f for f in (*MULTI, *FLAGS) if f != "topic"), WEEK]
    columns = [f"m.f_{FLAG_FIELDS.get(k, k)}" if k != WEEK else "m.f_week" for k in keys]
    every = (1 << len(keys)) - 1
    counts, params = [], []
    for i, key in enumerate(keys):
        where, args = _conditions(filters, without=key if key != WEEK else "")
        filtered_count = "COUNT(*)" + (f" FILTER ({_where(where).strip()})" if where else "")
        counts.append(f"WHEN {every - (1 << (len(keys) - 1 - i))} THEN {filtered_count}")
        params += args
    where, args = _conditions(filters)
    counts.append(f"WHEN {every} THEN COUNT(*)" + (f" FILTER ({_where(where).strip()})" if where else ""))
    params += args
    grouping = f"GROUPING({', '.join(columns)})"
    names = " ".join(f"WHEN {every - (1 << (len(keys) - 1 - i))} THEN '{k}'" for i, k in enumerate(keys))
    values = ", ".join(_grouped(c, k) for c, k in zip(columns, keys, strict=True))
    sql = (
        f"SELECT CASE {grouping} {names} ELSE '{TOTAL}' END, COALESCE({values}, ''), "
        f"CASE {grouping} {' '.join(counts)} END FROM m "
        f"GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in columns)}, ())"
    )
    return sql, params


def _branches(filters: CaseFilters) -> tuple[list[str], list]:
    """``SELECT facet, value, n`` over ``m`` for every facet, the total and the cases per week, and (with a
    query) the newest matches for ranking."""
    branches, params = [], []
    sql, args = _topic_branch(filters)
    branches.append(sql)
    params += args
    if connection.vendor == "postgresql":
        sql, args = _grouping_sets_branch(filters)
        branches.append(sql)
        params += args
    else:  # SQLite has no GROUPING SETS: a GROUP BY per facet over the same rows
        for facet in (*MULTI, *FLAGS):
            if facet == "topic":
                continue
            where, args = _conditions(filters, without=facet)
            column = f"m.f_{FLAG_FIELDS.get(facet, facet)}"
            value = _grouped(column, facet)
            branches.append(f"SELECT '{facet}', {value}, COUNT(*) FROM m{_where(where)} GROUP BY {column}")
            params += args
        where, args = _conditions(filters)
        branches.append(f"SELECT '{TOTAL}', '', COUNT(*) FROM m{_where(where)}")
        branches.append(
            f"SELECT '{WEEK}', m.f_week, COUNT(*) FROM m{_where([*where, 'm.f_week IS NOT NULL'])} "
            "GROUP BY m.f_week"
        )
        params += args + args
    if filters.terms:  # the candidates for ranking, numbered newest first (no compound member may LIMIT)
        where, args = _conditions(filters)
        branches.append(
            f"SELECT '{NEWEST}', CAST(f_pk AS TEXT), "
            "ROW_NUMBER() OVER (ORDER BY f_opened_at DESC, f_pk DESC) "
            f"FROM (SELECT m.f_pk, m.f_opened_at FROM m{_where(where)} "
            f"ORDER BY m.f_opened_at DESC, m.f_pk DESC LIMIT {int(search.RANK_LIMIT)}) newest"
        )
        params += args
    return branches, params


def _rows(filters: CaseFilters, windows: list[tuple[datetime, datetime]]) -> list[tuple[str, str, int]]:
    matching, params = _matching_sql(filters, windows)
    branches, more = _branches(filters)
    hint = ""
    if connection.vendor == "postgresql":
        # the matches of a query are found once and kept; without a query the rows are the table's (in a
        # date range): scanning it beats copying it
        hint = "MATERIALIZED " if filters.terms else "NOT MATERIALIZED "
    sql = f"WITH m AS {hint}({matching}) " + " UNION ALL ".join(branches)
    with connection.cursor() as cursor:
        cursor.execute(sql, params + more)
        return [(facet, value, int(n or 0)) for facet, value, n in cursor.fetchall()]


def _fingerprint() -> tuple:
    """What changes when cases are added or topics edited, read in one indexed query (the newest case, the
    topics' number and last change): counts kept from before such a change are not shown."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX({Case._meta.pk.column}) FROM {Case._meta.db_table}), COUNT(*), "
            f"MAX(updated_at) FROM {Topic._meta.db_table}"
        )
        return tuple(cursor.fetchone())


def forget_counts() -> None:
    """Drop the kept counts: called after every case index write (``insights.services``), so this process
    never shows counts from before it; other processes' counts age out within ``COUNTS_TTL_SECONDS``."""
    with _kept_lock:
        _kept.clear()


def _counted_rows(
    filters: CaseFilters, windows: list[tuple[datetime, datetime]], now: datetime | None
) -> list[tuple[str, str, int]]:
    """``_rows``, kept a minute when no query narrows the cases (the unfiltered page, facets chosen): a
    query's matches are found afresh every time (they are the narrow, fast case)."""
    if filters.terms or now is not None:
        return _rows(filters, windows)
    key = (
        connection.alias,
        connection.settings_dict.get("NAME"),
        tuple(sorted((f, tuple(sorted(v))) for f, v in filters.chosen.items())),
        tuple(sorted(filters.flags.items())),
        filters.since,
        filters.until,
        len(windows),
        _fingerprint(),
    )
    with _kept_lock:
        kept = _kept.get(key)
        if kept and time.monotonic() - kept[0] < COUNTS_TTL_SECONDS:
            _kept.move_to_end(key)
            return kept[1]
    rows = _rows(filters, windows)
    with _kept_lock:
        _kept[key] = (time.monotonic(), rows)
        while len(_kept) > COUNTS_KEPT:
            _kept.popitem(last=False)
    return rows


def _selected(filters: CaseFilters, facet: str, value: str) -> bool:
    if facet in FLAGS:
        return filters.flags.get(facet) == value
    return value in filters.chosen.get(facet, [])


def _facet(
    filters: CaseFilters, facet: str, title: str, counted: dict[str, int], names: dict[str, str]
) -> Facet:
    """A facet's values, biggest first: products the top ``PRODUCT_FACET_SIZE`` named ones, topics the top
    ``TOPIC_FACET_SIZE`` with the chosen ones first (a selected topic stays listed however small it is)."""
    if facet == "topic":
        ordered = sorted(
            counted, key=lambda v: (not _selected(filters, facet, v), -counted[v], names.get(v, ""))
        )
        ordered = [v for v in ordered if v in names][:TOPIC_FACET_SIZE]
    else:
        ordered = sorted(counted, key=lambda v: (-counted[v], v))
        if facet == "product":
            ordered = [v for v in ordered if v][:PRODUCT_FACET_SIZE]
    return Facet(
        facet,
        title,
        [
            FacetValue(
                value,
                names[value] if facet == "topic" else value_label(facet, value),
                counted[value],
                _selected(filters, facet, value),
                filters.toggled(facet, value),
            )
            for value in ordered
        ],
    )


def count(filters: CaseFilters, now: datetime | None = None, weeks: int = TREND_WEEKS) -> Counts:
    """Every facet's counts, the total and the cases per rolling week of the filtered set: one query over
    the cases, one for the listed topics' names, whatever the data size."""
    windows = _week_windows(now or timezone.now(), weeks)
    counted: dict[str, dict[str, int]] = {facet: {} for facet in (*MULTI, *FLAGS, TOTAL, WEEK, NEWEST)}
    for facet, value, n in _counted_rows(filters, windows, now):
        if n:  # a grouping set's value that the other facets' filter leaves empty is not listed
            counted[facet][value or ""] = n
    names = dict(
        (str(pk), name)
        for pk, name in Topic.objects.filter(pk__in=list(counted["topic"])).values_list("pk", "name")
    )
    titles = _facet_titles()
    weekly = [
        {
            "start": a.date().isoformat(),
            "end": (b - timedelta(seconds=1)).date().isoformat(),
            "count": counted[WEEK].get(str(i), 0),
        }
        for i, (a, b) in enumerate(windows)
    ]
    return Counts(
        counted[TOTAL].get("", 0),
        weekly,
        [_facet(filters, facet, titles[facet], counted[facet], names) for facet in (*MULTI, *FLAGS)],
        [int(pk) for pk in sorted(counted[NEWEST], key=counted[NEWEST].__getitem__)]
        if filters.terms
        else None,
    )


def facets(filters: CaseFilters) -> list[Facet]:
    """Counts per value of every facet, each counted with the other facets applied."""
    return count(filters).facets
