"""The learners behind the heads: each folds into the one linear scorer the run-time model sums."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from dabai.filter.fitting import METHODS, fit_linear, nb_ratios

LABELS = ("billing", "logistics", "refund_return", "account")


def _toy() -> tuple[csr_matrix, list[str]]:
    """Three labels, each with one telling feature (columns 0-2) present in 70 % of its messages, plus
    noise columns; label ``account`` never occurs."""
    rng = np.random.default_rng(7)
    n, noise = 600, 40
    truth = np.arange(n) % 3
    dense = (rng.random((n, 3 + noise)) < 0.08).astype(np.float32)
    dense[:, :3] = 0
    telling = rng.random(n) < 0.7
    dense[np.arange(n)[telling], truth[telling]] = 1
    return csr_matrix(dense), [LABELS[t] for t in truth]


@pytest.mark.parametrize("method", METHODS)
def test_every_learner_exports_a_linear_scorer_that_reads_the_telling_features(method: str) -> None:
    x, y = _toy()
    coef = fit_linear(x, y, LABELS, np.ones(len(y)), 2.0, 1, "balanced", method)
    assert coef.shape == (x.shape[1] + 1, len(LABELS))
    # what the run-time model computes: the sum of the message's feature rows plus the bias row
    said = np.asarray(LABELS)[np.asarray(x @ coef[:-1] + coef[-1]).argmax(axis=1)]
    has_cue = np.asarray(x[:, :3].sum(axis=1)).ravel() > 0
    assert (said[has_cue] == np.asarray(y)[has_cue]).mean() > 0.95
    assert "account" not in said  # a label never seen in training is never predicted
    # each telling feature pushes towards its own label more than towards any other
    assert [int(coef[j, :3].argmax()) for j in range(3)] == [0, 1, 2]


@pytest.mark.parametrize("method", METHODS)
def test_binary_heads_get_one_column_for_the_positive_label(method: str) -> None:
    x, y = _toy()
    yb = ["true" if v == "billing" else "false" for v in y]
    coef = fit_linear(x, yb, ("false", "true"), None, 1.0, 1, "balanced", method)
    assert coef.shape == (x.shape[1] + 1, 1)
    assert coef[0, 0] > 0 > coef[1, 0]  # the billing cue says "true", the logistics cue "false"


def test_nb_ratio_is_positive_for_a_feature_of_the_class_and_negative_against_it() -> None:
    x = csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1]], dtype=np.float32))
    r = nb_ratios(x, np.array([0, 0, 1, 1, 1]), np.ones(5))
    assert r[0, 0] > 0 > r[1, 0] and r[1, 1] > 0 > r[0, 1]


def test_an_unknown_learner_is_refused() -> None:
    x, y = _toy()
    with pytest.raises(ValueError, match="unknown learner"):
        fit_linear(x, y, LABELS, None, 1.0, 1, "balanced", "svm-rbf")


def test_the_model_file_keeps_each_heads_strongest_features_within_its_budget(monkeypatch) -> None:
    """A larger vocabulary makes every message slower to read: the file keeps at most MAX_FEATURES, never a
    feature whose weights all stay below PRUNE, and ranks features within each head, so a head with small
    weights (sentiment) keeps its best features next to a head with large ones (intent)."""
    from dabai.filter import train
    from dabai.filter.model import Head

    heads = [Head("sentiment", ("a", "b"), 0, 2), Head("intent", ("c", "d"), 2, 4)]
    weights = np.array(
        [
            [0.05, 0.0, 3.0, 0.0],  # intent's strongest
            [0.30, 0.0, 0.0, 0.0],  # sentiment's strongest, small next to intent's
            [0.0, 0.04, 2.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.01, 0.0, 0.0, 0.01],  # below PRUNE everywhere
        ]
    )
    monkeypatch.setattr(train, "MAX_FEATURES", 2)
    assert train._strongest(weights, heads).tolist() == [True, True, False, False, False]
    monkeypatch.setattr(train, "MAX_FEATURES", 10)
    assert train._strongest(weights, heads).tolist() == [True, True, True, True, False]
