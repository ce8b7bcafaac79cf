"""Grouped cross-validation on the training data only: how training choices are made (issue 13).

The held-out sets judge a model once; they never choose its settings.  Choices (template weight, per-source
weights, regularisation, class balance, cue features, the learner, extra feature families) are compared
here, on folds that mirror the held-out condition: each fold's validation text was written (free-written
files) or labelled (real turns, by labelling batch) by someone whose text is not in that fold's training
part.  The template corpus always trains.

    python -m dabai.filter.crossval '[{}, {"template_weight": 0.1}, {"c": 4.0}, {"class_weight": "sqrt"}]'
    python -m dabai.filter.crossval '[{"method": "lr"}, {"method": "lr+nblr+cnb", "cnb_scale": 0.2}]'
    python -m dabai.filter.crossval '[{"extra": "word-bigrams"}, {"extra": "char-4grams"}, {"min_df": 3}]'

prints, per setting, the intent and voice accuracy averaged over the folds, on real turns and on
free-written text separately.  Each fit is the training's own learner (``fitting.fit_linear``: the same
features, the same solver); sentiment, escalation and spam are not compared here (their rules sit on top of
the model).
"""

from __future__ import annotations

import json
import re
import sys
import time
from itertools import pairwise
from typing import Any

import numpy as np

from . import fitting
from .analysis import INTENTS, VOICES
from .corpus import training_records
from .evaluate import _bool
from .fitting import fit_linear
from .train import HEAD_C, HEAD_METHOD, SEED, _matrix, _vocabulary, featurise

FOLDS = 4
# Real turns by labelling batch: tb-00001…01400, …02800, …04400, …06000, then one labeller each for
# tb-06001…07000, …08000, …09000 and …10870 (the last and longest batch is one labeller's: one fold).
_REAL_BATCHES = (1400, 2800, 4400)
_LATER_BATCHES = (7000, 8000, 9000)
# Free-written files by writer: ``free_train``, ``free_train_2``… (each a fold, round robin by number).
_FREE_PREFIX = "free_train"


def fold_of(record: dict[str, Any]) -> int:
    """The fold whose validation part holds *record*; -1 for records that always train (templates)."""
    group = str(record.get("group") or "")
    if group == "real_turns":
        number = int(str(record["id"]).rsplit("-", 1)[1])
        if number > 6000:
            return sum(number > b for b in _LATER_BATCHES) % FOLDS
        return sum(number > b for b in _REAL_BATCHES)
    if group == _FREE_PREFIX:
        return 0
    if group.startswith(_FREE_PREFIX + "_") and group[len(_FREE_PREFIX) + 1 :].isdigit():
        return (int(group[len(_FREE_PREFIX) + 1 :]) - 1) % FOLDS
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
    method: str | None = None,
) -> dict[str, float]:
    """Mean validation accuracy of one head over the folds, on real turns and on free-written text.

    *without*: leave out the features whose name starts with it (``"q:"``: the question-act flags), to
    measure what they add (*vocabulary* names the columns of *x*).  *method*: the learner
    (``fitting.METHODS``; default the head's own).
    """
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
        coef = fit_linear(
            x[idx[train_rows]],
            list(y[train_rows]),
            labels,
            weights[train_rows],
            c or HEAD_C[head],
            SEED,
            class_weight,
            method or HEAD_METHOD[head],
        )
        scores = x[idx[valid_rows]] @ coef[:-1] + coef[-1]
        right = np.asarray(labels)[np.asarray(scores).argmax(axis=1)] == y[valid_rows]
        found["real"].append(float(right[real[valid_rows]].mean()))
        found["free"].append(float(right[~real[valid_rows]].mean()))
    return {part: round(float(np.mean(values)), 4) for part, values in found.items()}


EXTRAS = ("word-bigrams", "char-4grams", "pair-flags")
# Conjunction flags for the confusions GUIDELINES.md describes (its tie-breaks): a problem with something
# already received (product_quality) vs a parcel still on its way (logistics) vs money asked back
# (refund_return); using something vs logging in to it vs paying for it; a question vs a request.
_PAIR_CUES: dict[str, str] = {
    "received": r"收到|到了|拿到|打开|用了|穿了|吃了|签收",
    "defect": r"坏|破|碎|漏|不亮|不能用|少发|发错|错发|不一样|质量|色差|瑕疵|有问题",
    "transit": r"快递|物流|发货|单号|到哪|派送|配送|几天到|什么时候到|还没到",
    "money_back": r"退款|退钱|到账|退回|返还|运费险|退货|换货|退换",
    "how_to": r"怎么用|怎么设置|如何使用|怎么弄|怎么安装|说明书|营业|几点",
    "login": r"密码|登录|登陆|绑定|换绑|账号|账户|会员|积分|实名",
    "pay": r"付款|支付|扣款|扣了|发票|话费|账单|改价|优惠券|券|价格|降价",
    "ask_act": r"帮我|给我|麻烦|请你|能不能|可不可以|可以.{0,6}吗|能.{0,6}吗",
}
_PAIRS = (
    ("received", "defect"),
    ("received", "money_back"),
    ("transit", "defect"),
    ("transit", "money_back"),
    ("how_to", "login"),
    ("login", "pay"),
    ("how_to", "pay"),
    ("ask_act", "money_back"),
    ("ask_act", "transit"),
)


def extra_features(texts: list[str], kind: str) -> list[list[str]]:
    """Feature families the run-time model does not have, to measure what they would add: word bigrams over
    the segmented text (``w2:退款|什么``) or character 4-grams (``q:退款到账``), on the text the model's own
    features are computed on."""
    import rjieba

    from .features import feature_text
    from .normalise import normalise_many

    out = []
    for norm in normalise_many(texts):
        text = feature_text(norm)
        if kind == "word-bigrams":
            words = [w for w in rjieba.cut(text) if w.strip()]
            out.append([f"w2:{a}|{b}" for a, b in pairwise(words)])
        elif kind == "pair-flags":
            found = {name for name, cue in _PAIR_CUES.items() if re.search(cue, text)}
            flags = [f"p:{name}" for name in sorted(found)]
            out.append(flags + [f"p:{a}+{b}" for a, b in _PAIRS if a in found and b in found])
        elif kind == "char-4grams":
            compact = text.replace(" ", "")
            out.append(["q:" + compact[i : i + 4] for i in range(len(compact) - 3)])
        else:
            raise ValueError(f"unknown extra feature family {kind!r}; one of {', '.join(EXTRAS)}")
    return out


def with_extra(x, texts: list[str], kind: str, min_df: int = 2):
    """*x* with the binary columns of an extra feature family (each feature seen in >= *min_df* messages)."""
    from scipy.sparse import csr_matrix, hstack

    rows = [sorted(set(feats)) for feats in extra_features(texts, kind)]
    df: dict[str, int] = {}
    for feats in rows:
        for f in feats:
            df[f] = df.get(f, 0) + 1
    index = {f: i for i, f in enumerate(sorted(f for f, c in df.items() if c >= min_df))}
    cols = [[index[f] for f in feats if f in index] for feats in rows]
    indptr = np.concatenate(([0], np.cumsum([len(c) for c in cols])))
    flat = np.fromiter((i for c in cols for i in c), dtype=np.int64, count=int(indptr[-1]))
    extra = csr_matrix((np.ones(flat.size, dtype=np.float32), flat, indptr), shape=(len(rows), len(index)))
    return hstack([x, extra], format="csr")


def min_df_columns(x, min_df: int):
    """*x* without the features seen in fewer than *min_df* training messages (a smaller vocabulary)."""
    df = np.asarray((x > 0).sum(axis=0)).ravel()
    return x[:, np.flatnonzero(df >= min_df)]


def main(argv: list[str] | None = None) -> int:
    """``settings JSON [heads]``: each setting may also name ``extra`` (a feature family of :data:`EXTRAS`),
    ``min_df`` (a larger minimum document frequency) and ``cnb_scale`` (the complement NB's share)."""
    argv = sys.argv[1:] if argv is None else argv
    settings = json.loads(argv[0]) if argv else [{}]
    heads = argv[1].split(",") if len(argv) > 1 else ["intent", "voice"]
    records = training_records()
    texts = [r["text"] for r in records]
    chunks = featurise(texts, [r.get("channel") for r in records], progress=False)
    vocabulary = _vocabulary(chunks)
    base = _matrix(chunks, vocabulary)
    default_scale = fitting.CNB_SCALE
    for setting in settings:
        t0 = time.perf_counter()
        fitting.CNB_SCALE = default_scale
        setting = dict(setting)
        label = json.dumps(setting)
        x = base
        if extra := setting.pop("extra", None):
            x = with_extra(x, texts, extra)
        if scale := setting.pop("cnb_scale", None):  # the complement NB's share (``fitting.CNB_SCALE``)
            fitting.CNB_SCALE = scale
        if min_df := setting.pop("min_df", None):
            x = min_df_columns(x, min_df)
            if setting.get("without"):
                raise ValueError("min_df and without cannot be combined")
        found = {head: evaluate_setting(records, x, head, vocabulary=vocabulary, **setting) for head in heads}
        took = f"{time.perf_counter() - t0:.0f}s"
        print(label, json.dumps(found), f"{x.shape[1]} features", took, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
