"""Watch terms matched over posts in one pass (Aho–Corasick), in simplified and traditional script.

Every term and synonym enters the automaton as written, in its simplified form and in its traditional
forms (OpenCC s2t, s2tw, s2twp with Taiwan phrasing, s2hk), lower-cased; a post is lower-cased and scanned
once. A match counts only when it is not glued inside a longer Latin word (``dabai`` does not match
``dabaiyun``).
"""

import functools
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick
import opencc

_CONVERTERS: dict[str, opencc.OpenCC] = {}
_LOCK = threading.Lock()


def _convert(config: str, text: str) -> str:
    with _LOCK:
        converter = _CONVERTERS.get(config)
        if converter is None:
            converter = _CONVERTERS[config] = opencc.OpenCC(f"{config}.json")
    return converter.convert(text)


def script_forms(phrase: str) -> set[str]:
    """The phrase as written, simplified and in the traditional forms of Taiwan and Hong Kong, lower-cased."""
    phrase = phrase.strip()
    if not phrase:
        return set()
    forms = {phrase, _convert("t2s", phrase)}
    for config in ("s2t", "s2tw", "s2twp", "s2hk"):
        forms |= {_convert(config, form) for form in list(forms)}
    return {form.lower() for form in forms if form}


@dataclass(frozen=True)
class Term:
    """A watch term: its topic (the term itself) and every phrase that counts as it."""

    topic: str
    phrases: tuple[str, ...]


def split_synonyms(text: str) -> list[str]:
    return [
        part.strip()
        for line in text.splitlines()
        for part in line.replace("，", ",").split(",")
        if part.strip()
    ]


class Matcher:
    """Built once per set of terms; ``topics(text)`` gives the topics a post names and the phrases found."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self.automaton = ahocorasick.Automaton()
        found: dict[str, set[str]] = {}
        for term in terms:
            for phrase in term.phrases:
                for form in script_forms(phrase):
                    found.setdefault(form, set()).add(term.topic)
        for form, topics in found.items():
            self.automaton.add_word(form, (len(form), tuple(sorted(topics)), form))
        self.size = len(found)
        if self.size:
            self.automaton.make_automaton()

    def match(self, text: str) -> tuple[list[str], list[str]]:
        """(topics, phrases found) in ``text``; empty lists when nothing matches."""
        if not self.size:
            return [], []
        lowered = text.lower()
        topics: set[str] = set()
        phrases: set[str] = set()
        for end, (length, term_topics, form) in self.automaton.iter(lowered):
            start = end - length + 1
            if _glued(lowered, start, end):
                continue
            topics.update(term_topics)
            phrases.add(form)
        return sorted(topics), sorted(phrases)


def _glued(text: str, start: int, end: int) -> bool:
    """A Latin-letter term inside a longer Latin word is not a mention of it."""
    first, last = text[start], text[end]
    before = text[start - 1] if start > 0 else ""
    after = text[end + 1] if end + 1 < len(text) else ""
    return bool(
        (first.isascii() and first.isalnum() and before.isascii() and before.isalnum())
        or (last.isascii() and last.isalnum() and after.isascii() and after.isalnum())
    )


@functools.lru_cache(maxsize=4)
def cached_matcher(version: tuple, terms: tuple[Term, ...]) -> Matcher:
    """One automaton per version of the watchlists (the version changes whenever a term does)."""
    return Matcher(terms)
