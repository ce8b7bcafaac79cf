"""Grouped cross-validation on the training data only: how training choices are made (issue 13).

The held-out sets judge a model once; they never choose its settings.  Choices (template weight, per-source
weights, regularisation, class balance, cue features) are compared here, on folds that mirror the held-out
condition: each fold's validation text was written (free-written files) or labelled (real turns, by labelling
batch) by someone whose text is not in that fold's training part.  The template corpus always trains.

    python -m dabai.filter.crossval '[{}, {"template_weight": 0.1}, {"c": 4.0}, {"class_weight": "sqrt"}]'

prints, per setting, the intent and voice accuracy averaged over the folds, on real turns and on
free-written text separately.  Each fit is the training's own logistic regression (the same features, the
same solver); sentiment, escalation and spam are not compared here (their rules sit on top of the model).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np

from .analysis import INTENTS, VOICES
from .corpus import training_records
from .evaluate import _bool
from .train import HEAD_C, SEED, _matrix, _vocabulary, class_weights, featurise

FOLDS = 4
# Real turns by labelling batch (ids tb-00001…01400, …02800, …04400, …06000, then 1,000 per labeller from
# tb-06001 on, spread over the folds); free-written files by writer.
_REAL_BATCHES = (1400, 2800, 4400)
_LATER_BATCH = 1000
_FREE_FILES = ("free_train", "free_train_2", "free_train_3", "free_train_4", "free_train_5")


def fold_of(record: dict[str, Any]) -> int:
    """The fold whose validation part holds *record*; -1 for records that always train (templates)."""
    group = record.get("group")
    if group == "real_turns":
        number = int(str(record["id"]).rsplit("-", 1)[1])
        if number > 6000:
            return (number - 6001) // _LATER_BATCH % FOLDS
        return sum(number > b for b in _REAL_BATCHES)
    if group in _FREE_FILES:
        return _FREE_FILES.index(group) % FOLDS
    return -1


def evaluate_setting(
    records: list[dict[str, Any]],
    x,
    head: str,
    *,
    c: float | None = None,
    template_weight: float | None = None,
    class_weight: str | None = "balanced",
    real_weight: float = 1.0,
    without: str | None = None,
    vocabulary: list[str] | None = None,
) -> dict[str, float]:
    """Mean validation accuracy of one head over the folds, on real turns and on free-written text.

    *without*: leave out the features whose name starts with it (``"q:"``: the question-act flags), to
    measure what they add (*vocabulary* names the columns of *x*).
    """
    from sklearn.linear_model import LogisticRegression

    if without:
        assert vocabulary is not None
        x = x[:, [i for i, f in enumerate(vocabulary) if not f.startswith(without)]]
    labels = INTENTS if head == "intent" else VOICES
    idx = np.array([i for i, r in enumerate(records) if not _bool(r.get("spam")) and r.get(head) in labels])
    y = np.array([records[i][head] for i in idx])
    folds = np.array([fold_of(records[i]) for i in idx])
    real = np.array([records[i].get("group") == "real_turns" for i in idx])
    weights = np.array([float(records[i].get("weight", 1.0)) for i in idx])
    if template_weight is not None:
        weights[folds == -1] = template_weight
    weights[real] *= real_weight
    found: dict[str, list[float]] = {"real": [], "free": []}
    for k in range(FOLDS):
        train_rows, valid_rows = folds != k, folds == k
        clf = LogisticRegression(
            C=c or HEAD_C[head],
            max_iter=2000,
            random_state=SEED,
            class_weight=class_weights(y[train_rows], class_weight),
        )
        clf.fit(x[idx[train_rows]], y[train_rows], sample_weight=weights[train_rows])
        right = clf.predict(x[idx[valid_rows]]) == y[valid_rows]
        found["real"].append(float(right[real[valid_rows]].mean()))
        found["free"].append(float(right[~real[valid_rows]].mean()))
    return {part: round(float(np.mean(values)), 4) for part, values in found.items()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    settings = json.loads(argv[0]) if argv else [{}]
    heads = argv[1].split(",") if len(argv) > 1 else ["intent", "voice"]
    records = training_records()
    chunks = featurise([r["text"] for r in records], [r.get("channel") for r in records], progress=False)
    vocabulary = _vocabulary(chunks)
    x = _matrix(chunks, vocabulary)
    for setting in settings:
        t0 = time.perf_counter()
        found = {head: evaluate_setting(records, x, head, vocabulary=vocabulary, **setting) for head in heads}
        print(json.dumps(setting), json.dumps(found), f"{time.perf_counter() - t0:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
