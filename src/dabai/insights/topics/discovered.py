"""Discovered topics: clusters of recent cases (TF-IDF over rjieba tokens, MiniBatchKMeans) named by their top
c-TF-IDF phrases, matched to the known topics on every re-run so their ids stay stable."""

from __future__ import annotations

import math
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from dabai.insights.models import Case, CaseTopic, Topic, TopicKind
from dabai.insights.topics.assignment import BATCH
from dabai.insights.topics.matching import content_tokens

DISCOVERY_DAYS = 63  # the emerging-issue window (7 days + 8 weeks), so a cluster has a baseline
DISCOVERY_MAX_CASES = 30_000
MIN_CLUSTER = 5
MIN_CENTROID_SIMILARITY = 0.12  # a case this far from its cluster's centre is noise, not a member
JOIN_CENTRES = 0.3  # centre cosine above which two k-means clusters are one topic
MATCH_SIMILARITY = 0.3  # term-weight cosine above which a new cluster is a known topic
TOP_TERMS = 20
NAME_TERMS = 3


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
