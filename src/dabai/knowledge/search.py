"""One search service over the full-text index, with the same results on SQLite and PostgreSQL.

The database finds and pre-ranks candidates with its own index (FTS5 ``bm25()`` on SQLite, ``ts_rank`` over a
GIN-indexed ``tsvector`` on PostgreSQL). The final order is a BM25 score computed here from the stored tokens
of those candidates, so both databases rank identically (ties broken by id). Synonym groups expand each query
term into alternatives that count as one term.
"""

import html
import math
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Avg, Count
from django.utils.safestring import SafeString, mark_safe

from dabai.core.memo import per_batch
from dabai.knowledge import text
from dabai.knowledge.models import SearchEntry, Synonym

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 3
CANDIDATE_LIMIT = 50
COMMON_SHARE = 0.08
COMMON_MIN_INDEX = 5000
MAX_TERMS = 12
STATS_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class Term:
    """One query concept: the word the customer typed and the token sequences that count as it."""

    label: str
    alternatives: tuple[tuple[str, ...], ...]


@dataclass
class Hit:
    entry_id: int
    kind: str
    object_id: int
    score: float
    confidence: float
    matched: list[Term] = field(default_factory=list)


@dataclass
class Search:
    query: str
    terms: list[Term]
    hits: list[Hit]

    @property
    def confidence(self) -> float:
        return self.hits[0].confidence if self.hits else 0.0


@per_batch()
def synonym_groups() -> dict[str, tuple[str, ...]]:
    """Folded word → its whole group, from the admin-edited synonym table (small: read per search)."""
    groups: dict[str, tuple[str, ...]] = {}
    for row in Synonym.objects.all():
        words = tuple(dict.fromkeys(text.fold(w) for w in row.word_list()))
        for word in words:
            groups[word] = tuple(dict.fromkeys(groups.get(word, ()) + words))
    return groups


def _term(label: str, words: Iterable[str]) -> Term | None:
    alternatives = tuple(dict.fromkeys(p for p in (text.phrase(w) for w in words) if p))
    return Term(label, alternatives) if alternatives else None


def parse_query(query: str) -> list[Term]:
    """Split a question into terms: synonym words are found whole first, then jieba segments the rest."""
    folded = text.close_cjk_gaps(text.fold(query)[:500])
    groups = synonym_groups()
    terms: list[Term] = []
    for word in sorted(groups, key=len, reverse=True):
        if len(word) > 1 and word in folded:
            term = _term(word, groups[word])
            if term is not None:
                terms.append(term)
            folded = folded.replace(word, " ")
    for token in text.query_tokens(folded):
        term = _term(token, groups.get(token, (token,)))
        if term is not None:
            terms.append(term)
    unique: dict[frozenset, Term] = {}
    for term in terms:
        unique.setdefault(frozenset(term.alternatives), term)
    return list(unique.values())[:MAX_TERMS]


def _scope_sql(kinds: tuple[str, ...], public_only: bool) -> tuple[str, list]:
    clauses = ["e.kind IN ({})".format(", ".join(["%s"] * len(kinds)))]
    params: list = list(kinds)
    if public_only:
        clauses.append("e.public = %s")
        params.append(True)
    return " AND ".join(clauses), params


def _fts5_match(alternatives: Iterable[tuple[str, ...]], kinds: tuple[str, ...], public_only: bool) -> str:
    """An FTS5 query: any alternative in title or body, inside the scope's marker tokens (see 0004)."""
    words = " OR ".join('"{}"'.format(" ".join(alt)) for alt in alternatives)
    scope = []
    if set(kinds) != set(SearchEntry.Kind.values):
        markers = " OR ".join(f"kbscope{kind}" for kind in kinds)
        scope.append(f"{{scope}}: ({markers})")
    if public_only:
        scope.append("{scope}: kbscopepublic")
    return " AND ".join([*scope, f"{{title body}}: ({words})"])


def _tsquery(alternatives: Iterable[tuple[str, ...]]) -> str:
    return " | ".join("({})".format(" <-> ".join(f"'{t}'" for t in alt)) for alt in alternatives)


def _candidates(
    alternatives: list[tuple[str, ...]], kinds: tuple[str, ...], public_only: bool, limit: int
) -> list[int]:
    """Ids of documents holding any alternative, pre-ranked by the database's own relevance function."""
    if connection.vendor == "postgresql":
        scope, params = _scope_sql(kinds, public_only)
        sql = (
            "SELECT e.id FROM knowledge_searchentry e, to_tsquery('simple', %s) q "
            f"WHERE e.tsv @@ q AND {scope} ORDER BY ts_rank(e.tsv, q) DESC, e.id LIMIT %s"
        )
        params = [_tsquery(alternatives), *params, limit]
    else:
        sql = (
            "SELECT rowid FROM knowledge_fts WHERE knowledge_fts MATCH %s "
            f"ORDER BY bm25(knowledge_fts, {TITLE_WEIGHT}.0, 1.0, 0.0), rowid LIMIT %s"
        )
        params = [_fts5_match(alternatives, kinds, public_only), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _retrieval_alternatives(
    terms: list[Term], term_dfs: list[int], n: int, dfs: dict[str, int] | None = None
) -> list[tuple[str, ...]]:
    """The alternatives worth asking the index for.

    In a large index, words found in more than COMMON_SHARE of the documents decide little and cost the most
    (the index walks every document that holds them), and lone Chinese characters are mostly segmentation
    left-overs: both are left to the scoring step, as long as something else remains to look up.
    Small indexes ask for everything.
    """
    if n < COMMON_MIN_INDEX:
        return [alt for term in terms for alt in term.alternatives]
    words = [i for i, term in enumerate(terms) if len(term.label) > 1 or term.label.isascii()] or list(
        range(len(terms))
    )
    chosen = [i for i in words if term_dfs[i] <= COMMON_SHARE * n] or [min(words, key=lambda i: term_dfs[i])]
    dfs = dfs or {}
    return list(dict.fromkeys(_rarest_token(alt, dfs) for i in chosen for alt in terms[i].alternatives))


def _rarest_token(alt: tuple[str, ...], dfs: dict[str, int]) -> tuple[str, ...]:
    """A phrase is looked up by its rarest token (a superset, far cheaper than a phrase match, above all when
    a token is as common as 了); scoring then counts only the real phrase."""
    return alt if len(alt) == 1 else (min(alt, key=lambda t: (dfs.get(t, 0), t)),)


def document_frequencies(
    tokens: set[str], *, termdf_table: str = "knowledge_termdf", vocab_table: str = "knowledge_fts_vocab"
) -> dict[str, int]:
    """How many indexed documents hold each token, as the database keeps it (fts5vocab / a term-df table).

    The voice-of-the-customer case index keeps its counts the same way and passes its own tables (constant
    names, never user input)."""
    if not tokens:
        return {}
    placeholders = ", ".join(["%s"] * len(tokens))
    if connection.vendor == "postgresql":
        sql = f"SELECT term, df FROM {termdf_table} WHERE term IN ({placeholders})"
    else:
        sql = f"SELECT term, doc FROM {vocab_table} WHERE term IN ({placeholders})"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(tokens))
        return {term: int(df) for term, df in cursor.fetchall()}


def _term_df(term: Term, dfs: dict[str, int], n: int) -> int:
    """A synonym group's df: the sum over its words (a phrase counts as its rarest token), at most n."""
    total = 0
    for alt in term.alternatives:
        total += min(dfs.get(t, 0) for t in alt)
    return min(total, n)


_stats_cache: dict[tuple, tuple[float, int, float]] = {}


def forget_statistics() -> None:
    """Called after index writes so this process ranks with fresh corpus figures at once."""
    _stats_cache.clear()


def _statistics() -> tuple[int, float]:
    """Index size and average document length (cached briefly; index writes in this process reset it)."""
    key = ("all",)
    cached = _stats_cache.get(key)
    if cached and time.monotonic() - cached[0] < STATS_TTL_SECONDS:
        return cached[1], cached[2]
    figures = SearchEntry.objects.aggregate(n=Count("id"), avg=Avg("length"))
    n, avgdl = figures["n"] or 0, float(figures["avg"] or 1.0)
    _stats_cache[key] = (time.monotonic(), n, avgdl)
    return n, avgdl


def _count(tokens: list[str], counts: Counter, alt: tuple[str, ...]) -> int:
    if len(alt) == 1:
        return counts[alt[0]]
    width = len(alt)
    return sum(1 for i in range(len(tokens) - width + 1) if tuple(tokens[i : i + width]) == alt)


def _idf(df: int, n: int) -> float:
    return math.log(1 + (max(n, df) - df + 0.5) / (df + 0.5))


def _weight(term: Term, df: int, n: int) -> float:
    """A term's say in score and confidence: its idf, halved for lone Chinese characters (often noise such
    as 哪 or 掉), and for words the corpus has never seen half the idf of a rare word, so a stray colloquial
    word lowers confidence without swamping it."""
    weight = _idf(df, n) if df else 0.5 * _idf(1, n)
    if len(term.label) == 1 and not term.label.isascii():
        weight *= 0.5
    return weight


def _term_frequencies(title_tokens: str, body_tokens: str, terms: list[Term]) -> list[int]:
    title, body = title_tokens.split(), body_tokens.split()
    title_counts, body_counts = Counter(title), Counter(body)
    return [
        sum(
            TITLE_WEIGHT * _count(title, title_counts, alt) + _count(body, body_counts, alt)
            for alt in term.alternatives
        )
        for term in terms
    ]


def search(
    query: str,
    *,
    kinds: tuple[str, ...] = (SearchEntry.Kind.ARTICLE,),
    public_only: bool = True,
    limit: int = 10,
) -> Search:
    """Rank indexed documents for a free-text question; confidence is the share of the query's weight
    (by idf) that the document covers."""
    terms = parse_query(query)
    if not terms:
        return Search(query, [], [])
    n, avgdl = _statistics()
    dfs = document_frequencies({t for term in terms for alt in term.alternatives for t in alt})
    term_dfs = [_term_df(term, dfs, n) for term in terms]
    alternatives = _retrieval_alternatives(terms, term_dfs, n, dfs)
    ids = _candidates(alternatives, kinds, public_only, CANDIDATE_LIMIT)
    if not ids:
        return Search(query, terms, [])
    rows = SearchEntry.objects.filter(id__in=ids).values_list(
        "id", "kind", "object_id", "title_tokens", "body_tokens", "length"
    )
    weights = [_weight(term, df, n) for term, df in zip(terms, term_dfs, strict=True)]
    total = sum(weights) or 1.0
    hits = []
    for entry_id, kind, object_id, title_tokens, body_tokens, length in rows:
        score, covered, matched = 0.0, 0.0, []
        norm = K1 * (1 - B + B * (length or 1) / (avgdl or 1.0))
        for i, f in enumerate(_term_frequencies(title_tokens, body_tokens, terms)):
            if f:
                score += weights[i] * f * (K1 + 1) / (f + norm)
                covered += weights[i]
                matched.append(terms[i])
        if matched:
            hits.append(Hit(entry_id, kind, object_id, round(score, 9), round(covered / total, 6), matched))
    hits.sort(key=lambda h: (-h.score, h.entry_id))
    return Search(query, terms, hits[:limit])


def _surfaces(terms: Iterable[Term]) -> list[str]:
    words = {
        "".join(alt) if all(not t.isascii() for t in alt) else " ".join(alt)
        for term in terms
        for alt in term.alternatives
    }
    return sorted((w for w in words if w), key=len, reverse=True)


def highlight(original: str, terms: Iterable[Term], width: int = 90) -> SafeString:
    """An HTML-safe excerpt of ``original`` around the densest match, with each match in ``<mark>``.

    Matching runs on the folded text, which keeps positions, so traditional or full-width originals still
    get the right characters marked.
    """
    surfaces = _surfaces(terms)
    folded = text.fold(original)
    if len(folded) != len(original) or not surfaces:
        return mark_safe(html.escape(original[:width]) + ("…" if len(original) > width else ""))
    pattern = re.compile("|".join(re.escape(s) for s in surfaces))
    spans = [(m.start(), m.end()) for m in pattern.finditer(folded)]
    start = 0
    if spans:
        best = max(spans, key=lambda s: sum(1 for o in spans if s[0] <= o[0] < s[0] + width))
        start = max(0, best[0] - width // 4)
    end = min(len(original), start + width)
    out, cursor = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(original[cursor:s]))
        out.append(f"<mark>{html.escape(original[s:e])}</mark>")
        cursor = e
    out.append(html.escape(original[cursor:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(original) else ""
    return mark_safe(prefix + "".join(out) + suffix)


def index_document(
    kind: str, object_id: int, title: str, body: str, *, public: bool, language: str = "zh-hans"
) -> SearchEntry:
    """Put (or refresh) one document in the index."""
    entry, _ = SearchEntry.objects.update_or_create(
        kind=kind, object_id=object_id, defaults=entry_fields(title, body, public=public, language=language)
    )
    forget_statistics()
    return entry


def entry_fields(title: str, body: str, *, public: bool, language: str = "zh-hans") -> dict:
    """The stored form of a document: tokens and weighted length (also used for bulk indexing)."""
    title_tokens = text.index_tokens(title)
    body_tokens = text.index_tokens(body)
    return {
        "title_tokens": " ".join(title_tokens),
        "body_tokens": " ".join(body_tokens),
        "length": TITLE_WEIGHT * len(title_tokens) + len(body_tokens),
        "public": public,
        "language": language,
    }


def remove_document(kind: str, object_id: int) -> None:
    SearchEntry.objects.filter(kind=kind, object_id=object_id).delete()
    forget_statistics()
