"""The learners behind each head: every one ends as one linear scorer over the binary features.

Why only linear learners: the run-time model is one weight matrix summed over a message's features (see
``model.py``), so whatever is learnt here must fold into a (features + 1) × labels matrix.  That still leaves
room: a learner whose features are *scaled* per class (NB-weighting) or an *average* of two linear learners'
logits is again linear in the binary features, so it costs nothing at run time.

- ``lr``: multinomial logistic regression (one softmax over the labels), the shipped learner until 1 December.
- ``nblr``: NB-weighted logistic regression (Wang & Manning 2012, "NBSVM" with a logistic loss), one against
  the rest per label: each feature is scaled by its naive-Bayes log-count ratio for that label before the
  fit, so a feature that is rare but telling for a label starts with a large value and needs less weight
  (less regularisation) to count.  The exported weight is ratio × fitted weight.
- ``lr+nblr``: the two above averaged (their logits).
- ``cnb+lr``: the logistic regression plus a complement naive Bayes's centred log-probabilities.
- ``lr+nblr+cnb``: the average of the first two plus the complement naive Bayes.

Training only (scikit-learn, scipy); framework-free like the rest of ``dabai.filter``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

METHODS = ("lr", "nblr", "lr+nblr", "cnb+lr", "lr+nblr+cnb")
NB_ALPHA = 1.0  # Laplace smoothing of the log-count ratios
CNB_SCALE = 0.2  # its log-probabilities are an order larger than logistic weights; 0.2 chosen by grouped CV


def class_weights(y, mode: str | None) -> str | dict[str, float] | None:
    """scikit-learn's ``class_weight``: ``"balanced"`` (n / (k · count)), ``None``, or ``"sqrt"``, the square
    root of the balanced weights (rare labels count more, but not as much)."""
    if mode != "sqrt":
        return mode
    counts = Counter(y)
    n, k = sum(counts.values()), len(counts)
    return {label: float(np.sqrt(n / (k * count))) for label, count in counts.items()}


def fit_linear(
    x,
    y: list[str],
    labels: tuple[str, ...],
    weights: np.ndarray | None,
    c: float,
    seed: int,
    class_weight: str | None = "balanced",
    method: str = "lr",
) -> np.ndarray:
    """Fit one head; returns (n_features + 1, k) with the bias in the last row (k = 1 for binary heads).

    Labels never seen in training get a bias of -10 (never predicted); a single-class training set always
    predicts its class.
    """
    if method not in METHODS:
        raise ValueError(f"unknown learner {method!r}; one of {', '.join(METHODS)}")
    if len(set(y)) < 2:  # a small data set with one class: always predict that class
        coef = np.zeros((x.shape[1] + 1, 1 if len(labels) == 2 else len(labels)))
        if len(labels) == 2:
            coef[-1, 0] = 10.0 if y and y[0] == labels[1] else -10.0
        else:
            coef[-1, :] = -10.0
            if y:
                coef[-1, labels.index(y[0])] = 10.0
        return coef
    if method == "lr":
        return _logistic(x, y, labels, weights, c, seed, class_weight)
    if method == "nblr":
        return _nb_logistic(x, y, labels, weights, c, seed, class_weight)
    if method in ("lr+nblr", "lr+nblr+cnb"):
        both = (
            _logistic(x, y, labels, weights, c, seed, class_weight)
            + _nb_logistic(x, y, labels, weights, c, seed, class_weight)
        ) / 2
        return both if method == "lr+nblr" else both + _complement_nb(x, y, labels, weights)
    return _logistic(x, y, labels, weights, c, seed, class_weight) + _complement_nb(x, y, labels, weights)


def _logistic(x, y, labels, weights, c, seed, class_weight) -> np.ndarray:
    """Multinomial logistic regression (binary: one column for ``labels[1]``)."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(
        C=c, max_iter=2000, random_state=seed, class_weight=class_weights(y, class_weight)
    )
    clf.fit(x, y, sample_weight=weights)
    return _export(clf.coef_, clf.intercept_, list(clf.classes_), labels, x.shape[1])


def _export(
    coef, intercept, classes: list[str], labels: tuple[str, ...], n_features: int, unseen: float = -10.0
) -> np.ndarray:
    """scikit-learn's (classes × features) coefficients as the model's (features + 1) × labels columns; a
    label never seen in training gets the bias *unseen*."""
    if len(labels) == 2:
        sign = 1.0 if classes == list(labels) else -1.0
        return np.vstack([coef.T * sign, intercept[None, :] * sign])
    out = np.zeros((n_features + 1, len(labels)), dtype=np.float64)
    for j, label in enumerate(classes):
        out[:-1, labels.index(label)] = coef[j]
        out[-1, labels.index(label)] = intercept[j]
    for label in labels:
        if label not in classes:
            out[-1, labels.index(label)] = unseen  # never seen in training: never predicted
    return out


def nb_ratios(x, truth: np.ndarray, weights: np.ndarray, alpha: float = NB_ALPHA) -> np.ndarray:
    """Naive-Bayes log-count ratio of each feature for each class (features × classes), one against the rest.

    ``r = log((p / |p|₁) / (q / |q|₁))`` with ``p = α + Σ`` (weighted) feature counts of the class's messages
    and ``q`` the same over the other messages (Wang & Manning 2012).
    """
    k = int(truth.max()) + 1
    onehot = np.zeros((truth.size, k))
    onehot[np.arange(truth.size), truth] = weights
    inside = np.asarray(x.T @ onehot)  # (features, k)
    total = np.asarray(x.T @ weights).reshape(-1, 1)
    p = inside + alpha
    q = (total - inside) + alpha
    return np.log(p / p.sum(axis=0)) - np.log(q / q.sum(axis=0))


def _nb_logistic(x, y, labels, weights, c, seed, class_weight) -> np.ndarray:
    """NB-weighted logistic regression, one binary fit per label against the rest (see the module docstring).

    Balanced class weights are taken per binary fit (the label against the rest).
    """
    from scipy.sparse import diags
    from sklearn.linear_model import LogisticRegression

    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    present = sorted(set(y), key=labels.index)
    truth = np.array([present.index(v) for v in y])
    ratios = nb_ratios(x, truth, w)
    binary = len(labels) == 2
    out = np.zeros((x.shape[1] + 1, 1 if binary else len(labels)))
    if not binary:
        out[-1, :] = -10.0  # labels never seen in training: never predicted
    for j, label in enumerate(present):
        if binary and label != labels[1]:
            continue
        r = ratios[:, j]
        target = (truth == j).astype(np.int64)
        clf = LogisticRegression(
            C=c, max_iter=2000, random_state=seed, class_weight=_binary_weight(target, class_weight)
        )
        clf.fit(x @ diags(r), target, sample_weight=w)
        col = 0 if binary else labels.index(label)
        out[:-1, col] = clf.coef_[0] * r
        out[-1, col] = clf.intercept_[0]
    return out


def _binary_weight(target: np.ndarray, mode: str | None) -> dict[int, float] | None:
    """Class weights of one label against the rest, in the head's mode (balanced, its square root, none)."""
    if mode is None:
        return None
    n, pos = target.size, int(target.sum())
    balanced = {1: n / (2 * pos), 0: n / (2 * (n - pos))}
    if mode == "sqrt":
        return {k: float(np.sqrt(v)) for k, v in balanced.items()}
    return balanced


def _complement_nb(x, y, labels, weights) -> np.ndarray:
    """Complement naive Bayes (Rennie et al. 2003) as logit columns, centred per feature so that it shifts the
    labels against each other without moving the logistic regression's scale much."""
    from sklearn.naive_bayes import ComplementNB

    nb = ComplementNB(alpha=NB_ALPHA, norm=False)
    nb.fit(x, y, sample_weight=weights)
    classes = list(nb.classes_)
    logp = nb.feature_log_prob_  # (classes, features); ComplementNB scores by x @ logp.T
    logp = (logp - logp.mean(axis=0, keepdims=True)) * CNB_SCALE
    if len(labels) == 2:
        return _export(logp[1:] - logp[:1], np.zeros(1), list(labels), labels, x.shape[1], 0.0)
    return _export(logp, np.zeros(len(classes)), classes, labels, x.shape[1], 0.0)
