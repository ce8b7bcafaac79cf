"""Full-text search over masked cases, with the knowledge search service's segmentation and ranking.

Text goes through ``dabai.knowledge.text`` (normalise, jieba ``cut_for_search``), queries through
``dabai.knowledge.search.parse_query`` (synonym groups from the knowledge admin, stopwords dropped), and hits
are ranked by the same BM25 (``K1``, ``B``, title weight, idf weighting of lone characters) computed from
the stored tokens, so SQLite and PostgreSQL order results identically.

Matching is what a case library needs for counting: a case matches when it holds **every** query term (any
word of a term's synonym group; a multi-token word as a phrase), found by the database's own index (FTS5
on SQLite, a GIN-indexed ``tsvector`` on PostgreSQL, migration 0002). The match is a SQL subquery, so facet
counts, trend counts and exports are of the same set. Ranking scores the ``RANK_LIMIT`` newest matches
(a query matching more than that is ranked among its most recent cases).
"""

import time

from django.db import connection
from django.db.models import Avg, BooleanField, Count, QuerySet
from django.db.models.expressions import RawSQL

from dabai.insights.models import Case
from dabai.knowledge import search as knowledge_search
from dabai.knowledge import text
from dabai.knowledge.search import K1, TITLE_WEIGHT, B, Term, highlight, parse_query
from dabai.knowledge.search import _term_frequencies as term_frequencies  # the shared BM25 pieces
from dabai.knowledge.search import _weight as term_weight

RANK_LIMIT = 500

__all__ = ["TITLE_WEIGHT", "Term", "document_fields", "highlight", "matching", "parse_query", "rank"]


def document_fields(title: str, body: str) -> dict:
    """The stored form of a masked case: tokens and weighted length, as the knowledge index stores them."""
    title_tokens = text.index_tokens(title)
    body_tokens = text.index_tokens(body)
    return {
        "title_tokens": " ".join(title_tokens),
        "body_tokens": " ".join(body_tokens),
        "length": TITLE_WEIGHT * len(title_tokens) + len(body_tokens),
    }


def _fts5_query(terms: list[Term]) -> str:
    groups = [
        "({})".format(" OR ".join('"{}"'.format(" ".join(alt)) for alt in term.alternatives))
        for term in terms
    ]
    return "{title body}: (" + " AND ".join(groups) + ")"


def _tsquery(terms: list[Term]) -> str:
    return " & ".join(
        "({})".format(
            " | ".join("({})".format(" <-> ".join(f"'{t}'" for t in alt)) for alt in term.alternatives)
        )
        for term in terms
    )


def match_condition(terms: list[Term]) -> RawSQL:
    """The match as a condition on the case row itself, for a query whose ``FROM`` is ``insights_case``
    unaliased (never a subquery): PostgreSQL tests the row's own ``tsv`` (no second pass over the table to
    join the matches back), SQLite looks the row up in FTS5."""
    if connection.vendor == "postgresql":
        sql = '"insights_case"."tsv" @@ to_tsquery(\'simple\', %s)'
        params = [_tsquery(terms)]
    else:
        sql = (
            '"insights_case"."conversation_id" IN '
            "(SELECT rowid FROM insights_case_fts WHERE insights_case_fts MATCH %s)"
        )
        params = [_fts5_query(terms)]
    return RawSQL(sql, params, output_field=BooleanField())


def matching(queryset: QuerySet[Case], terms: list[Term]) -> QuerySet[Case]:
    """*queryset* narrowed to the cases holding every term (one SQL subquery on the full-text index)."""
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        sql = "SELECT conversation_id FROM insights_case WHERE tsv @@ to_tsquery('simple', %s)"
        params = [_tsquery(terms)]
    else:
        sql = "SELECT rowid FROM insights_case_fts WHERE insights_case_fts MATCH %s"
        params = [_fts5_query(terms)]
    return queryset.filter(pk__in=RawSQL(sql, params))


def document_frequencies(tokens: set[str]) -> dict[str, int]:
    """Document frequencies of the case index, counted as the knowledge index counts its own."""
    return knowledge_search.document_frequencies(
        tokens, termdf_table="insights_case_termdf", vocab_table="insights_case_fts_vocab"
    )


def _term_df(term: Term, dfs: dict[str, int], n: int) -> int:
    return min(sum(min(dfs.get(t, 0) for t in alt) for alt in term.alternatives), n)


_stats: dict[str, tuple[float, int, float]] = {}
STATS_TTL_SECONDS = 60.0


def forget_statistics() -> None:
    """Called after case index writes so this process ranks with fresh figures at once."""
    _stats.clear()


def statistics() -> tuple[int, float]:
    """Cases indexed and their average length, for BM25: a scan of the whole index, so kept for
    ``STATS_TTL_SECONDS`` (a minute-old average ranks the same; index writes in this process reset it)."""
    cached = _stats.get("all")
    if cached and time.monotonic() - cached[0] < STATS_TTL_SECONDS:
        return cached[1], cached[2]
    figures = Case.objects.aggregate(n=Count("pk"), avg=Avg("length"))
    n, avgdl = figures["n"] or 1, float(figures["avg"] or 1.0)
    _stats["all"] = (time.monotonic(), n, avgdl)
    return n, avgdl


def rank(matches: QuerySet[Case], terms: list[Term]) -> list[int]:
    """Primary keys of the (newest ``RANK_LIMIT``) matches, best first by BM25; ties newest first."""
    rows = list(
        matches.order_by("-opened_at", "-pk").values_list("pk", "title_tokens", "body_tokens", "length")[
            :RANK_LIMIT
        ]
    )
    return rank_rows(rows, terms)


def rank_newest(newest: list[int], terms: list[Term]) -> list[int]:
    """``rank`` of matches already chosen (*newest*: their keys, newest first): only their tokens are read."""
    by_pk = {
        row[0]: row
        for row in Case.objects.filter(pk__in=newest).values_list(
            "pk", "title_tokens", "body_tokens", "length"
        )
    }
    return rank_rows([by_pk[pk] for pk in newest if pk in by_pk], terms)


def rank_rows(rows: list[tuple[int, str, str, int]], terms: list[Term]) -> list[int]:
    """Rows (pk, title tokens, body tokens, length), newest first, ordered best first by BM25."""
    if not rows or not terms:
        return [row[0] for row in rows]
    n, avgdl = statistics()
    dfs = document_frequencies({t for term in terms for alt in term.alternatives for t in alt})
    weights = [term_weight(term, _term_df(term, dfs, n), n) for term in terms]
    scored = []
    for order, (pk, title_tokens, body_tokens, length) in enumerate(rows):
        norm = K1 * (1 - B + B * (length or 1) / (avgdl or 1.0))
        score = sum(
            weights[i] * f * (K1 + 1) / (f + norm)
            for i, f in enumerate(term_frequencies(title_tokens, body_tokens, terms))
            if f
        )
        scored.append((-round(score, 9), order, pk))
    scored.sort()
    return [pk for _, _, pk in scored]
