"""Everything about a message but the model: personal data, codes, entities, cue hits, links, form of address.

Done for a whole batch where it pays (one scan for name cues, the cue lexicons matched at once); the rules and
the model's evidence read what is prepared here.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter

from .. import lexicon
from ..entities import find_entities
from ..features import URL_RE
from ..pii import NAME_RE, Span, find_codes, find_pii, find_pii_lenient

MAX_CHARS = 20_000  # signals look at the first 20k characters; personal data is searched everywhere
_OVERLAP = 200  # windows for personal data overlap by more than the longest item (an address)

_SUSPICIOUS_URL = re.compile(
    r"t\.cn|bit\.ly|tinyurl|\.(?:xyz|top|vip|cc|tk|ml|ga|club|icu)\b|login|verify|secure|账户|认证|\d+\.\d+\.\d+\.\d+",
    re.I,
)
_KEYBOARD_RUN = re.compile(
    "|".join(
        row[i : i + 5]
        for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm", "poiuytrewq", "lkjhgfdsa")
        for i in range(len(row) - 4)
    )
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def all_pii(norm: str, head_codes: list[Span] | None = None, *, lenient: bool = False) -> list[Span]:
    """Personal data in the whole text, window by window, so a long text is never masked only in part."""
    find_pii_in = find_pii_lenient if lenient else find_pii
    if len(norm) <= MAX_CHARS:
        return find_pii_in(norm, find_codes(norm) if head_codes is None else head_codes)
    found: list[Span] = []
    for start in range(0, len(norm), MAX_CHARS - _OVERLAP):
        window = norm[start : start + MAX_CHARS]
        last = start + MAX_CHARS >= len(norm)
        for s in find_pii_in(window, find_codes(window)):
            if (s.start == 0 and start > 0) or (s.end == len(window) and not last):
                continue  # cut by the window edge: the overlapping neighbour window sees it whole
            span = Span(s.kind, s.start + start, s.end + start)
            if not any(span.overlaps(f) for f in found):
                found.append(span)
        if last:
            break
    return sorted(found, key=lambda s: s.start)


def _gibberish(norm: str) -> bool:
    """Keyboard mashing or symbol noise: no Chinese; latin with almost no vowels, or one repeated char."""
    if _CJK.search(norm):
        return False
    compact = norm.replace(" ", "")
    if len(compact) < 6 or _CJK.search(compact):
        return False
    if _KEYBOARD_RUN.search(compact.lower()):
        return True
    letters = [c for c in compact.lower() if c.isalpha()]
    if len(letters) >= 6:
        vowels = sum(c in "aeiouy" for c in letters)
        if vowels / len(letters) < 0.15:
            return True
    if len(letters) < len(compact) * 0.3 and not any(c.isdigit() for c in compact):
        return True
    return len(set(compact)) <= 2


@dataclass(slots=True)
class Prepared:
    text: str
    norm: str
    low: str  # the first MAX_CHARS characters of norm, ASCII lower-cased (same length)
    channel: str | None
    codes: list[Span]
    pii: list[Span]
    entities: list[Span]
    cues: list[tuple[str, int, int]]
    cue_cats: list[str]  # the category of each cue hit
    cats: set[str]
    address: tuple[str, str, int, int] | None
    url_spans: list[tuple[int, int, bool]]
    # the hits of the cue groups the rules read (spam, esc, urg, emo), in text order; absent when none
    groups: dict[str, list[tuple[str, int, int]]]


_UPPER = re.compile("[A-Z]").search


def prepare_many(texts: list[str], norms: list[str], channels: list[str | None]) -> list[Prepared]:
    """Everything but the model, for a batch (the cue lexicons are matched for the whole batch at once)."""
    heads = [norm[:MAX_CHARS] if len(norm) > MAX_CHARS else norm for norm in norms]
    lows = [head.translate(_ASCII_LOWER) if _UPPER(head) else head for head in heads]
    # A name is personal data only after a cue (我叫, 收件人…), which few messages have: one scan of the
    # joined batch says which.  No part of the pattern matches the separator (control characters are
    # spaces after normalisation), so no match spans two messages.
    named = [False] * len(norms)
    if len(norms) > 8:
        joined = "\x00".join(norms)
        ends = list(accumulate(len(norm) + 1 for norm in norms))
        for m in NAME_RE.finditer(joined):
            named[bisect_right(ends, m.start())] = True
    else:
        named = [NAME_RE.search(norm) is not None for norm in norms]
    return [
        _prepare(text, norm, channel, head, low, cues, name)
        for text, norm, channel, head, low, cues, name in zip(
            texts, norms, channels, heads, lows, lexicon.match_cues_many(lows), named, strict=True
        )
    ]


def _prepare(
    text: str,
    norm: str,
    channel: str | None,
    head: str,
    low: str,
    cues: list[tuple[str, int, int]],
    named: bool = True,
) -> Prepared:
    """*head* is the first ``MAX_CHARS`` of *norm*, *low* the same ASCII lower-cased, *cues* its cue hits;
    *named* is False when *norm* has no name cue."""
    digits = _FOUR_DIGITS(norm) is not None
    codes = find_codes(head) if digits else []  # every code has six digits in a row
    if len(norm) > MAX_CHARS:
        pii = all_pii(norm, codes)
    elif digits or named or "@" in norm or "号" in norm:  # what every kind of personal data needs
        pii = find_pii(norm, codes)
    else:
        pii = []
    entities = find_entities(head, codes)
    groups: dict[str, list[tuple[str, int, int]]] = {}
    if cues:
        cue_cats = list(map(_FIRST, cues))
        cats = set(cue_cats)
        if not _ESC_CATS.isdisjoint(cats):
            cues = [
                ("neg_" + c if c.startswith("esc_") and lexicon.negated(head, s) else c, s, e)
                for c, s, e in cues
            ]
            cue_cats = list(map(_FIRST, cues))
            cats = set(cue_cats)
        if not _RULED_CATS.isdisjoint(cats):
            for hit in cues:
                group = _RULED_GROUP.get(hit[0])
                if group is not None:
                    if group in groups:
                        groups[group].append(hit)
                    else:
                        groups[group] = [hit]
    else:
        cue_cats, cats = [], set()
    urls = (
        [(m.start(), m.end(), bool(_SUSPICIOUS_URL.search(m.group()))) for m in URL_RE.finditer(head)]
        if "." in head or "//" in head  # every URL the pattern finds has one or the other
        else []
    )
    if not _CJK.search(head) and _gibberish(head):
        cats.add("gibberish")
    address = lexicon.match_address_form(head)
    return Prepared(
        text, norm, low, channel, codes, pii, entities, cues, cue_cats, cats, address, urls, groups
    )


# The cue groups the rules read, each with its categories (a negated escalation cue, "neg_esc_…", is in none).
_RULED_GROUPS = tuple(
    (group, frozenset(cat for cat in lexicon.CUES if cat.partition("_")[0] == group))
    for group in ("spam", "esc", "urg", "emo")
)
_RULED_CATS = frozenset().union(*(members for _, members in _RULED_GROUPS))
_RULED_GROUP = {cat: group for group, members in _RULED_GROUPS for cat in members}
_FOUR_DIGITS = re.compile("[0-9]{4}").search  # every code and personal number has four digits in a row
_ESC_CATS = frozenset(cat for cat in lexicon.CUES if cat.startswith("esc_"))
_FIRST = itemgetter(0)
_ASCII_LOWER = str.maketrans({c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
