"""Topics of the voice-of-the-customer portal: which cases talk about what, in three ways.

- **Intents**: the filter's intent taxonomy, one built-in topic per intent, assigned from the insights of
  a case's customer messages.
- **Defined topics**: a VoC editor names a topic and gives keywords with synonyms (one group per line) and
  example messages. A case matches when its masked customer text, folded like the search index (OpenCC
  traditional → simplified, full-width → half-width, lower case), holds a keyword, or when its rjieba
  tokens overlap an example's enough (Jaccard ≥ ``EXAMPLE_OVERLAP``).
- **Discovered topics** (``discover_topics``): clusters of recent cases (TF-IDF over rjieba tokens,
  MiniBatchKMeans), each named by its top c-TF-IDF phrases. A re-run matches the new clusters to the known
  ones by the cosine of their term weights (an optimal one-to-one assignment), so topic ids, editors' names,
  follows and trends survive re-clustering; a cluster matching nothing becomes a new topic, a known one no
  cluster matches goes inactive.

Assignments are stored per case (``CaseTopic``), set-wise: ``assign_cases`` after the case index is
refreshed (receivers → ``index_cases`` task), ``match_topic_history`` when an editor defines or edits a
topic, ``discover_topics`` for the clusters.
"""

from __future__ import annotations

import math
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import rjieba
from django.db import transaction
from django.utils import timezone

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.conversations.models import Direction, Insight
from dabai.insights.models import Case, CaseTopic, Topic, TopicKind
from dabai.knowledge.text import STOPWORDS, fold
from dabai.replies import labels

BATCH = 2000
EXAMPLE_OVERLAP = 0.5
DISCOVERY_DAYS = 63  # the emerging-issue window (7 days + 8 weeks), so a cluster has a baseline
DISCOVERY_MAX_CASES = 30_000
MIN_CLUSTER = 5
MIN_CENTROID_SIMILARITY = 0.12  # a case this far from its cluster's centre is noise, not a member
JOIN_CENTRES = 0.3  # centre cosine above which two k-means clusters are one topic
MATCH_SIMILARITY = 0.3  # term-weight cosine above which a new cluster is a known topic
TOP_TERMS = 20
NAME_TERMS = 3
_SEPARATORS = re.compile(r"[,，、;；/|]+")
_ASCII = re.compile(r"^[a-z0-9 ._-]+$")
_CONTENT = re.compile(r"[^\W\d_]{2,}|[a-z]{3,}")


# ------------------------------------------------------------------------------------------ tokens


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


# ------------------------------------------------------------------------------------ intent topics


def intent_topics() -> dict[str, int]:
    """The built-in topic of every intent of the taxonomy (created on first use), by intent."""
    known = dict(Topic.objects.filter(kind=TopicKind.INTENT).values_list("key", "pk"))
    missing = [
        Topic(kind=TopicKind.INTENT, key=f"intent:{intent}", name=str(label)[:100])
        for intent, label in labels.INTENT.items()
        if intent != "other" and f"intent:{intent}" not in known
    ]
    if missing:
        Topic.objects.bulk_create(missing, ignore_conflicts=True)
        known = dict(Topic.objects.filter(kind=TopicKind.INTENT).values_list("key", "pk"))
    return {key.removeprefix("intent:"): pk for key, pk in known.items()}


def _case_intents(case_ids: list[int]) -> dict[int, set[str]]:
    """Every intent the filter read in each case's customer messages (not only the case's main one)."""
    out: dict[int, set[str]] = defaultdict(set)
    rows = Insight.objects.filter(
        message__conversation_id__in=case_ids, message__direction=Direction.INBOUND, is_spam=False
    ).values_list("message__conversation_id", "intent")
    for conversation_id, intent in rows:
        if intent:
            out[conversation_id].add(intent)
    return out


# ------------------------------------------------------------------------------------------ assignment


def assign_cases(case_ids: Iterable[int]) -> int:
    """(Re)assign the intent and defined topics of these cases; discovered ones are the clustering's."""
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    by_intent = intent_topics()
    matchers = defined_matchers()
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        cases = list(Case.objects.filter(pk__in=chunk).values_list("pk", "opened_at", "intent", "text"))
        intents = _case_intents(chunk)
        rows = []
        for pk, opened_at, intent, text in cases:
            for name in intents.get(pk, set()) | ({intent} if intent else set()):
                if name in by_intent:
                    rows.append(
                        CaseTopic(case_id=pk, topic_id=by_intent[name], opened_at=opened_at, source="intent")
                    )
            if matchers:
                folded, tokens = fold(text), frozenset(content_tokens(text))
                rows += [
                    CaseTopic(case_id=pk, topic_id=m.topic_id, opened_at=opened_at, source="defined")
                    for m in matchers
                    if m.matches(folded, tokens)
                ]
        with transaction.atomic():
            CaseTopic.objects.filter(case_id__in=chunk, source__in=["intent", "defined"]).delete()
            CaseTopic.objects.bulk_create(rows, ignore_conflicts=True)
        written += len(rows)
    return written


def match_topic_history(topic: Topic) -> int:
    """Apply one defined topic's rule to every case (after an editor defines or edits it), batch by batch."""
    CaseTopic.objects.filter(topic=topic, source="defined").delete()
    if topic.kind != TopicKind.DEFINED or not topic.is_active or topic.merged_into_id:
        return 0
    matcher = Matcher.of(topic)
    if not (matcher.words or matcher.examples):
        return 0
    written, last = 0, 0
    while True:
        batch = list(
            Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "opened_at", "text")[:BATCH]
        )
        if not batch:
            return written
        last = batch[-1][0]
        rows = [
            CaseTopic(case_id=pk, topic_id=topic.pk, opened_at=opened_at, source="defined")
            for pk, opened_at, text in batch
            if matcher.matches(fold(text), frozenset(content_tokens(text)))
        ]
        CaseTopic.objects.bulk_create(rows, ignore_conflicts=True)
        written += len(rows)


# ------------------------------------------------------------------------------------ editing topics


class TopicError(ValueError):
    """An editor's change that cannot be made (shown to them as it is)."""


def define_topic(actor: User, name: str, keywords: str = "", examples: str = "") -> Topic:
    name = name.strip()[:100]
    if not name:
        raise TopicError("A topic needs a name.")
    if not keyword_groups(keywords) and not examples.strip():
        raise TopicError("Give at least one keyword or example message.")
    topic = Topic.objects.create(
        kind=TopicKind.DEFINED,
        key=f"defined:{secrets.token_hex(6)}",
        name=name,
        keywords=keywords.strip()[:4000],
        examples=examples.strip()[:4000],
        renamed=True,
        created_by=actor,
    )
    record_audit(actor, "topic.define", topic, {"name": name})
    return topic


def edit_topic(
    actor: User, topic: Topic, *, name: str, keywords: str | None = None, examples: str | None = None
) -> Topic:
    """Rename any topic; change a defined topic's keywords and examples (its history is matched again)."""
    name = name.strip()[:100]
    if not name:
        raise TopicError("A topic needs a name.")
    topic.name, topic.renamed = name, True
    if topic.kind == TopicKind.DEFINED:
        if keywords is not None:
            topic.keywords = keywords.strip()[:4000]
        if examples is not None:
            topic.examples = examples.strip()[:4000]
        if not keyword_groups(topic.keywords) and not topic.examples.strip():
            raise TopicError("Give at least one keyword or example message.")
    topic.save()
    record_audit(actor, "topic.edit", topic, {"name": name})
    return topic


def merge_topic(actor: User, source: Topic, into: Topic) -> Topic:
    """A discovered topic joins another topic: its cases move there and later clusters like it too."""
    if source.kind != TopicKind.DISCOVERED:
        raise TopicError("Only discovered topics can be merged.")
    target = into
    while target.merged_into_id:
        target = target.merged_into
    if target.pk == source.pk:
        raise TopicError("A topic cannot be merged into itself.")
    with transaction.atomic():
        moved = CaseTopic.objects.filter(topic=source).exclude(
            case_id__in=CaseTopic.objects.filter(topic=target).values("case_id")
        )
        moved.update(topic=target)
        CaseTopic.objects.filter(topic=source).delete()
        Topic.objects.filter(merged_into=source).update(merged_into=target)
        source.merged_into, source.is_active = target, False
        source.save(update_fields=["merged_into", "is_active", "updated_at"])
    record_audit(actor, "topic.merge", source, {"into": target.pk})
    return target


def promote_topic(actor: User, topic: Topic, name: str = "") -> Topic:
    """A discovered topic becomes a defined one (same id): its top phrases become its keywords."""
    if topic.kind != TopicKind.DISCOVERED:
        raise TopicError("Only discovered topics can be promoted.")
    top = sorted(topic.terms.items(), key=lambda kv: -kv[1])[:5]
    topic.kind = TopicKind.DEFINED
    topic.keywords = "\n".join(term for term, _ in top)
    topic.name = (name.strip() or topic.name)[:100]
    topic.renamed = True
    topic.save()
    CaseTopic.objects.filter(topic=topic).delete()  # its cases are the keywords' from now on
    match_topic_history(topic)
    record_audit(actor, "topic.promote", topic, {"keywords": topic.keywords})
    return topic


def set_topic_active(actor: User, topic: Topic, active: bool) -> None:
    topic.is_active = active
    topic.save(update_fields=["is_active", "updated_at"])
    if topic.kind == TopicKind.DEFINED:
        match_topic_history(topic)
    record_audit(actor, "topic.activate" if active else "topic.deactivate", topic)


# ------------------------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Discovery:
    clusters: int
    matched: int
    created: int
    retired: int
    assigned: int


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def _c_tf_idf(docs: list[list[str]], labels_: list[int], clusters: list[int]) -> dict[int, dict[str, float]]:
    """Class-based TF-IDF (BERTopic's c-TF-IDF): a term's frequency in a cluster, weighted by
    log(1 + mean words per cluster / the term's frequency over all clusters); the top terms, normalised."""
    per_cluster: dict[int, Counter] = {c: Counter() for c in clusters}
    for tokens, label in zip(docs, labels_, strict=True):
        if label in per_cluster:
            per_cluster[label].update(tokens)
    overall: Counter = Counter()
    for counts in per_cluster.values():
        overall.update(counts)
    mean_words = sum(overall.values()) / max(len(per_cluster), 1)
    out = {}
    for c, counts in per_cluster.items():
        total = sum(counts.values()) or 1
        scores = {t: (n / total) * math.log(1 + mean_words / overall[t]) for t, n in counts.items()}
        top = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]
        norm = math.sqrt(sum(v * v for _, v in top)) or 1.0
        out[c] = {t: round(v / norm, 5) for t, v in top}
    return out


def _clusters(docs: list[list[str]], seed: int) -> tuple[list[int], list[float]]:
    """Cluster labels and each case's similarity to its cluster's centre (TF-IDF, MiniBatchKMeans)."""
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    vectors = TfidfVectorizer(
        analyzer=lambda tokens: tokens, min_df=2, max_df=0.5, sublinear_tf=True
    ).fit_transform(docs)
    k = max(2, min(50, round(math.sqrt(len(docs)))))
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048).fit(vectors)
    labels_ = _joined(normalize(model.cluster_centers_), [int(x) for x in model.labels_])
    assigned = np.array(labels_)
    present = sorted(set(labels_))
    centres = normalize(np.vstack([np.asarray(vectors[assigned == c].mean(axis=0)) for c in present]))
    row = {c: i for i, c in enumerate(present)}
    similarity = vectors.multiply(centres[[row[c] for c in labels_]]).sum(axis=1)
    return labels_, [float(s) for s in similarity.A1]


def _joined(centres, labels_: list[int]) -> list[int]:
    """K-means splits a big topic into near-identical halves; centres closer than ``JOIN_CENTRES`` become
    one cluster (union-find over the pairs), so how many topics there are follows the data, not k."""
    k = len(centres)
    parent = list(range(k))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    similar = centres @ centres.T
    for i in range(k):
        for j in range(i + 1, k):
            if similar[i, j] >= JOIN_CENTRES:
                parent[root(j)] = root(i)
    return [root(label) for label in labels_]


def _match(found: dict[int, dict[str, float]], known: list[Topic]) -> dict[int, Topic]:
    """New clusters to known topics, one to one, maximising total term similarity (above the threshold)."""
    from scipy.optimize import linear_sum_assignment

    if not found or not known:
        return {}
    clusters = sorted(found)
    cost = [[-_cosine(found[c], t.terms or {}) for t in known] for c in clusters]
    rows, cols = linear_sum_assignment(cost)
    return {clusters[r]: known[c] for r, c in zip(rows, cols, strict=True) if -cost[r][c] >= MATCH_SIMILARITY}


def _final(topic: Topic, by_pk: dict[int, Topic]) -> Topic:
    seen = set()
    while topic.merged_into_id and topic.merged_into_id in by_pk and topic.pk not in seen:
        seen.add(topic.pk)
        topic = by_pk[topic.merged_into_id]
    return topic


def discover_topics(now: datetime | None = None, *, days: int = DISCOVERY_DAYS, seed: int = 7) -> Discovery:
    """Cluster the recent cases, keep topic ids stable across runs, and store the cluster assignments."""
    now = now or timezone.now()
    cases = list(
        Case.objects.filter(opened_at__gte=now - timedelta(days=days), opened_at__lt=now)
        .exclude(text="")
        .order_by("-opened_at", "-pk")
        .values_list("pk", "opened_at", "text")[:DISCOVERY_MAX_CASES]
    )
    docs = [content_tokens(text) for _, _, text in cases]
    kept = [i for i, d in enumerate(docs) if d]
    if len(kept) < 2 * MIN_CLUSTER:
        return Discovery(0, 0, 0, 0, 0)
    labels_, similarity = _clusters([docs[i] for i in kept], seed)
    members: dict[int, list[int]] = defaultdict(list)
    for position, i in enumerate(kept):
        if similarity[position] >= MIN_CENTROID_SIMILARITY:
            members[labels_[position]].append(i)
    clusters = [c for c, m in members.items() if len(m) >= MIN_CLUSTER]
    label_of = {i: labels_[p] for p, i in enumerate(kept)}
    terms = _c_tf_idf([docs[i] for i in kept], [label_of[i] for i in kept], clusters)
    terms = {c: t for c, t in terms.items() if t}
    every = {t.pk: t for t in Topic.objects.all()}
    known = [t for t in every.values() if t.terms and t.kind in (TopicKind.DISCOVERED, TopicKind.DEFINED)]
    matched = _match(terms, known)
    rows, created, reused = [], 0, set()
    with transaction.atomic():
        for c in sorted(terms):
            name = " · ".join(list(terms[c])[:NAME_TERMS])[:100]
            topic = matched.get(c)
            if topic is None:
                topic = Topic.objects.create(
                    kind=TopicKind.DISCOVERED,
                    key=f"cluster:{secrets.token_hex(6)}",
                    name=name,
                    terms=terms[c],
                )
                every[topic.pk] = topic
                created += 1
            else:
                topic.terms, topic.size = terms[c], len(members[c])
                if topic.kind == TopicKind.DISCOVERED and not topic.merged_into_id:
                    topic.is_active = True
                    if not topic.renamed:
                        topic.name = name
                topic.save(update_fields=["terms", "size", "is_active", "name", "updated_at"])
            reused.add(topic.pk)
            target = _final(topic, every)
            Topic.objects.filter(pk=topic.pk).update(size=len(members[c]))
            if target.kind != TopicKind.DISCOVERED:
                continue  # a promoted topic collects its cases by keywords now
            rows += [
                CaseTopic(case_id=cases[i][0], topic_id=target.pk, opened_at=cases[i][1], source="discovered")
                for i in members[c]
            ]
        retired = (
            Topic.objects.filter(kind=TopicKind.DISCOVERED, is_active=True)
            .exclude(pk__in=reused)
            .update(is_active=False, size=0)
        )
        CaseTopic.objects.filter(source="discovered", case_id__in=[pk for pk, _, _ in cases]).delete()
        CaseTopic.objects.bulk_create(rows, ignore_conflicts=True, batch_size=BATCH)
    return Discovery(len(terms), len(matched), created, retired, len(rows))


def intent_topic(intent: str) -> Topic:
    """The built-in topic of one intent of the taxonomy."""
    return Topic.objects.get(pk=intent_topics()[intent])
