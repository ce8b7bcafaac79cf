"""The shipped linear model: load from a compact ``.npz`` and score batches with numpy only.

Why not pickle or scikit-learn at run time: a model file is data a user may download and load, pickle
would run code from it, and scikit-learn alone costs about a second of import time.  Training (see
``train.py``) exports one weight matrix over a shared vocabulary; every head (sentiment, intent, voice,
escalation, spam) is a slice of its columns, so one sparse row-sum scores all signals of a message at once.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .features import extract

DEFAULT_MODEL = Path(__file__).with_name("models") / "default.npz"


@dataclass(frozen=True)
class Head:
    """One output of the model: its labels and the columns of the weight matrix that score them."""

    name: str
    labels: tuple[str, ...]
    start: int
    end: int

    @property
    def binary(self) -> bool:
        return self.end - self.start == 1


class Model:
    """Linear scorer: ``logits = sum(W[features]) + b``, then softmax (multi-class) or sigmoid (binary)."""

    def __init__(
        self, vocab: list[str], weights: np.ndarray, bias: np.ndarray, heads: list[Head], meta: dict
    ):
        self.vocab = {f: i for i, f in enumerate(vocab)}
        self.features = vocab
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.heads = {h.name: h for h in heads}
        meta = dict(meta)
        self.explainable = np.ones(len(vocab), dtype=bool)  # may this feature be shown as a reason?
        self.explainable[np.asarray(meta.pop("unexplained", []), dtype=np.int64)] = False
        self.floors: dict[str, float] = meta.get("floors", {})
        self.meta = meta
        self.version: str = meta.get("version", "unknown")

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """Read a model written by :func:`save`; raises ``ValueError`` on anything else."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            vocab = str(z["vocab"]).split("\n")
            weights = z["weights"]
            bias = z["bias"]
            if "unexplained" in z.files:
                meta["unexplained"] = z["unexplained"]
        heads = [Head(h["name"], tuple(h["labels"]), h["start"], h["end"]) for h in meta["heads"]]
        if weights.shape != (len(vocab), len(bias)):
            raise ValueError(f"inconsistent model file {path}")
        return cls(vocab, weights, bias, heads, meta)

    def save(self, path: str | Path) -> None:
        """Write vocabulary, float16 weights and JSON metadata (version, heads, metrics) to one ``.npz``."""
        meta = dict(self.meta)
        meta["heads"] = [
            {"name": h.name, "labels": list(h.labels), "start": h.start, "end": h.end}
            for h in self.heads.values()
        ]
        np.savez_compressed(
            path,
            meta=np.array(json.dumps(meta, ensure_ascii=False)),
            vocab=np.array("\n".join(self.features)),
            weights=self.weights.astype(np.float16),
            bias=self.bias,
            unexplained=np.flatnonzero(~self.explainable).astype(np.int32),
        )

    def indices(self, feats: list[str]) -> list[int]:
        get = self.vocab.get
        found = set(map(get, feats))  # binary features: each counts once
        found.discard(None)
        return list(found)

    def logits(self, rows: list[list[int]]) -> np.ndarray:
        """Summed weights of each row's feature indices plus bias, for the whole batch in one pass."""
        return self.gather(rows)[0]

    def gather(self, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Logits plus what :meth:`top_features_batch` needs: gathered weight rows, row ids and flat ids."""
        n, k = len(rows), self.weights.shape[1]
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=n)
        flat = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(lengths.sum()))
        gathered = self.weights[flat]
        owner = np.repeat(np.arange(n), lengths)
        out = np.zeros((n, k), dtype=np.float32)
        if flat.size:
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            nonempty = lengths > 0
            out[nonempty] = np.add.reduceat(gathered, starts[nonempty], axis=0)
        return out + self.bias, gathered, owner, flat

    def top_features_batch(
        self,
        gathered: np.ndarray,
        owner: np.ndarray,
        flat: np.ndarray,
        head: str,
        classes: np.ndarray,
        k: int = 3,
    ) -> list[list[tuple[str, float]]]:
        """For every message, the *k* features that pushed hardest towards its class *classes[i]* of *head*.

        Vectorised over the batch (one sort), because the "why" of every message is part of the output and a
        per-message numpy call would cost more than the scoring itself.
        """
        h = self.heads[head]
        n = len(classes)
        result: list[list[tuple[str, float]]] = [[] for _ in range(n)]
        keep = self.explainable[flat]  # function words (你们, 了, 吗) are never a reason alone
        if h.binary:  # only a positive decision (spam, escalation) is explained
            keep &= classes[owner] == 1
        gathered, owner, flat = gathered[keep], owner[keep], flat[keep]
        if not flat.size:
            return result
        if h.binary:
            vals = gathered[:, h.start].astype(np.float32)
        else:
            vals = gathered[np.arange(flat.size), h.start + classes[owner]].astype(np.float32)
        order = np.argsort(owner * 1e6 - vals, kind="stable")  # by message, then by weight descending
        seg_start = np.searchsorted(owner[order], np.arange(n))
        rank = np.arange(order.size) - seg_start[owner[order]]
        pick = order[(rank < k) & (vals[order] > 0)]
        feats = self.features
        weights = np.round(vals[pick], 3).tolist()
        for i, f, v in zip(owner[pick].tolist(), flat[pick].tolist(), weights, strict=True):
            result[i].append((feats[f], v))
        return result

    def probabilities(self, logits: np.ndarray) -> dict[str, np.ndarray]:
        """Per head: (n, k) probabilities; binary heads give (n,) probability of the positive class."""
        out = {}
        for h in self.heads.values():
            z = logits[:, h.start : h.end]
            if h.binary:
                out[h.name] = 1.0 / (1.0 + np.exp(-z[:, 0]))
            else:
                z = z - z.max(axis=1, keepdims=True)
                e = np.exp(z)
                out[h.name] = e / e.sum(axis=1, keepdims=True)
        return out


_cache: dict[str, Model | None] = {}
_lock = threading.Lock()


def load_model(path: str | Path | None = None) -> Model | None:
    """Load (once, thread-safe) and cache a model; ``None`` when no default model is installed."""
    key = str(path or DEFAULT_MODEL)
    if key in _cache:
        return _cache[key]
    with _lock:
        if key not in _cache:
            p = Path(key)
            if path is None and not p.exists():
                _cache[key] = None
            else:
                _cache[key] = Model.load(p)
    return _cache[key]


def featurize(model: Model, norm: str, channel: str | None, cue_cats: set[str]) -> list[int]:
    return model.indices(extract(norm, channel, cue_cats))
