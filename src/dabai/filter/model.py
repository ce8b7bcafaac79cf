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
        )

    def indices(self, feats: list[str]) -> list[int]:
        get = self.vocab.get
        return sorted({i for i in map(get, feats) if i is not None})

    def logits(self, rows: list[list[int]]) -> np.ndarray:
        """Summed weights of each row's feature indices plus bias, for the whole batch in one pass."""
        out = np.empty((len(rows), self.weights.shape[1]), dtype=np.float32)
        flat = [i for r in rows for i in r]
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        if flat:
            gathered = self.weights[np.asarray(flat, dtype=np.int64)]
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            nonempty = lengths > 0
            sums = np.add.reduceat(gathered, starts[nonempty], axis=0) if nonempty.any() else None
            out[:] = 0
            if sums is not None:
                out[nonempty] = sums
        else:
            out[:] = 0
        return out + self.bias

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

    def top_features(self, row: list[int], head: str, cls: int, k: int = 3) -> list[tuple[str, float]]:
        """The *k* features that pushed a message hardest towards class *cls* of *head* (the why)."""
        if not row:
            return []
        h = self.heads[head]
        w = self.weights[np.asarray(row), h.start + (0 if h.binary else cls)]
        if h.binary and cls == 0:
            w = -w
        order = np.argsort(-w)[:k]
        return [(self.features[row[i]], float(w[i])) for i in order if w[i] > 0]


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
