"""Defined topics' matching rules: the words that carry a topic and an editor's keyword and example rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

import rjieba

from dabai.insights.models import Topic, TopicKind
from dabai.knowledge.text import STOPWORDS, fold

EXAMPLE_OVERLAP = 0.5
_SEPARATORS = re.compile(r"[,，、;；/|]+")
_ASCII = re.compile(r"^[a-z0-9 ._-]+$")
_CONTENT = re.compile(r"[^\W\d_]{2,}|[a-z]{3,}")


def content_tokens(masked_text: str) -> list[str]:
    """Words that carry a topic: rjieba over folded text, no stopwords, digits, masks or lone characters."""
    return [t for t in rjieba.cut(fold(masked_text)) if _CONTENT.fullmatch(t) and t not in STOPWORDS]


def keyword_groups(keywords: str) -> list[list[str]]:
    """An editor's keywords: one synonym group per line, words separated by commas (any width)."""
    groups = []
    for line in keywords.splitlines():
        words = [fold(w.strip()) for w in _SEPARATORS.split(line) if w.strip()]
        if words:
            groups.append(words)
    return groups


@dataclass(frozen=True)
class Matcher:
    """A defined topic's matching rule, prepared once for a batch of cases."""

    topic_id: int
    words: tuple[str, ...]
    examples: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, topic: Topic) -> Matcher:
        words = tuple(w for group in keyword_groups(topic.keywords) for w in group)
        examples = tuple(
            frozenset(content_tokens(line)) for line in topic.examples.splitlines() if line.strip()
        )
        return cls(topic.pk, words, tuple(e for e in examples if e))

    def matches(self, folded: str, tokens: frozenset[str]) -> bool:
        for word in self.words:
            if word in folded and (not _ASCII.match(word) or word in tokens or " " in word):
                return True
        for example in self.examples:
            union = len(example | tokens)
            if union and len(example & tokens) / union >= EXAMPLE_OVERLAP:
                return True
        return False


def defined_matchers() -> list[Matcher]:
    topics = Topic.objects.filter(kind=TopicKind.DEFINED, is_active=True, merged_into__isnull=True)
    return [m for m in (Matcher.of(t) for t in topics) if m.words or m.examples]
