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
from itertools import chain
from pathlib import Path

import numpy as np

from .features import GRAM_KINDS, FeatureBatch, gram_keys_of

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
        self.features = vocab
        self._index(vocab)
        # Tie rank of each feature for :meth:`top_features` (larger wins): by kind, then vocabulary order.
        prio = {"w": 0, "n": 1, "k": 2, "t": 3, "b": 4, "u": 5}
        kinds = np.array([prio.get(f[:1], 6) for f in vocab], dtype=np.int64)
        order = np.lexsort((np.arange(len(vocab)), kinds))
        self._tie = np.empty(len(vocab), dtype=np.int64)
        self._tie[order] = np.arange(len(vocab) - 1, -1, -1)
        self._tie_bits = max(1, len(vocab).bit_length())
        # cached: the same few thousand features explain most messages; ``map(reasons.__getitem__, ...)``
        self.reasons: dict[int, tuple[str, str, str]] = _Reasons(vocab)
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

    def reason(self, index: int) -> tuple[str, str, str]:
        """How feature *index* is shown as evidence: (feature, how, value).  *how* is ``k`` (the spans of cue
        category *value*), ``n`` (negated word *value*: the span starts at its negator), ``s`` (the text
        *value*), ``-`` (no span: shown as the feature alone) or ``""`` (never shown: channel, length)."""
        return self.reasons[index]

    def _index(self, vocab: list[str]) -> None:
        """Lookup structures: a dict for word, cue and other symbolic features, and for character n-grams a
        sorted array of integer keys (see :mod:`.features`) searched for a whole batch at once."""
        self.vocab: dict[str, int] = _Vocabulary()
        grams: dict[int, tuple[list[str], list[int]]] = {n: ([], []) for n in (1, 2, 3)}
        lengths = {kind + ":": n for n, kind in enumerate(GRAM_KINDS, 1)}
        for i, f in enumerate(vocab):
            n = lengths.get(f[:2])
            if n is not None and len(f) == n + 2:
                grams[n][0].append(f[2:])
                grams[n][1].append(i)
            else:
                self.vocab[f] = i
        keys = np.concatenate([gram_keys_of(g, n) for n, (g, _) in grams.items()])
        index = np.concatenate([np.asarray(ix, dtype=np.int64) for _, ix in grams.values()])
        self._grams = _HashTable(keys, index)

    def rows(self, batch: FeatureBatch) -> tuple[np.ndarray, np.ndarray]:
        """(message index, vocabulary index) of every known feature of *batch*, each pair once (features are
        binary), sorted by message then index."""
        n = len(batch.symbolic)
        sym_len = np.fromiter(map(len, batch.symbolic), dtype=np.int64, count=n)
        sym_idx = np.fromiter(
            map(self.vocab.__getitem__, chain.from_iterable(batch.symbolic)),
            dtype=np.int64,
            count=int(sym_len.sum()),
        )
        sym_owner = np.repeat(np.arange(n, dtype=np.int64), sym_len)
        gram_idx = self._grams.get(batch.gram_keys)
        known, hit = sym_idx >= 0, gram_idx >= 0
        size = len(self.features)
        pairs = np.concatenate(
            (sym_owner[known] * size + sym_idx[known], batch.gram_owner[hit] * size + gram_idx[hit])
        )
        if n * size < 2**32:  # a narrower sort is faster
            pairs = pairs.astype(np.uint32)
        pairs.sort()
        if pairs.size:
            first = np.empty(pairs.size, dtype=bool)
            first[0] = True
            np.not_equal(pairs[1:], pairs[:-1], out=first[1:])
            pairs = pairs[first].astype(np.int64)
        else:
            pairs = pairs.astype(np.int64)
        # pairs are sorted by message: the owner from each message's run, not an integer division per pair
        bounds = np.searchsorted(pairs, np.arange(n + 1, dtype=np.int64) * size)
        owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(bounds))
        return owner, pairs - owner * size

    def logits(self, owner: np.ndarray, flat: np.ndarray, n: int) -> np.ndarray:
        """Summed weights of each message's feature indices plus bias, for the whole batch in one pass."""
        return self.gather(owner, flat, n)[0]

    def gather(self, owner: np.ndarray, flat: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Logits of *n* messages from :meth:`rows`, plus the gathered weight rows :meth:`top_features_batch`
        needs."""
        k = self.weights.shape[1]
        gathered = np.take(self.weights, flat, axis=0)  # the rows weights[flat] gives, about 4x faster
        out = np.zeros((n, k), dtype=np.float32)
        if flat.size:
            lengths = np.bincount(owner, minlength=n)
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            nonempty = lengths > 0
            out[nonempty] = np.add.reduceat(gathered, starts[nonempty], axis=0)
        return out + self.bias, gathered

    def top_features(
        self,
        gathered: np.ndarray,
        owner: np.ndarray,
        flat: np.ndarray,
        head: str,
        classes: np.ndarray,
        k: int = 3,
        shown: np.ndarray | None = None,
        shown_pairs: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For every message, the *k* features that pushed hardest towards its class *classes[i]* of *head*.

        Returns (message index, feature index, weight) arrays, by message and, within one, strongest first.
        Vectorised over the batch, because the "why" of every message is part of the output.  Equal weights
        are ordered words first, then negated words, cue flags, trigrams, bigrams, characters.  *shown* is
        ``np.flatnonzero(self.explainable[flat])`` if the caller has it (the same for every head), and
        *shown_pairs* ``(owner[shown], flat[shown])``.
        """
        h = self.heads[head]
        if h.binary and not classes.any():  # only a positive decision (spam, escalation) is explained
            return owner[:0], flat[:0], np.zeros(0, dtype=np.float32)
        if shown is None:  # function words (你们, 了, 吗) are never a reason alone
            shown = np.flatnonzero(self.explainable[flat])
        owner, flat = (owner[shown], flat[shown]) if shown_pairs is None else shown_pairs
        cls = classes[owner]
        if h.binary:  # few positives: narrow to their features first
            pos = np.flatnonzero(cls)
            owner, flat, shown = owner[pos], flat[pos], shown[pos]
            vals = gathered[shown, h.start]
        else:
            vals = gathered.ravel()[shown * gathered.shape[1] + (cls + h.start)]
        keep = vals > 0
        o, f, v = owner[keep], flat[keep], vals[keep].astype(np.float32)
        if not o.size:
            return o, f, v
        # One integer per candidate, larger = stronger: a positive float32's bits order like its value, and
        # the low bits rank ties.  Then k rounds of "maximum per message".
        key = v.view(np.int32).astype(np.int64) << self._tie_bits | self._tie[f]
        if o.size <= 256:  # a few messages: one sort costs fewer numpy calls than k rounds
            order = np.lexsort((-key, o))
            o_sorted = o[order]
            first = np.searchsorted(o_sorted, o_sorted)  # start of each message's run
            pick = order[np.arange(order.size) - first < k]
            return o[pick], f[pick], np.round(v[pick], 3)
        seg = np.flatnonzero(np.concatenate(([True], o[1:] != o[:-1])))
        seg_len = np.diff(np.append(seg, o.size))
        picks = []
        for _ in range(k):
            best = np.repeat(np.maximum.reduceat(key, seg), seg_len)
            pick = np.flatnonzero((key == best) & (best >= 0))
            if not pick.size:
                break
            picks.append(pick)
            key[pick] = -1
        pick = np.concatenate(picks)
        pick = pick[np.argsort(o[pick], kind="stable")]  # rounds are in order: stable keeps strongest first
        return o[pick], f[pick], np.round(v[pick], 3)

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


class _Reasons(dict):
    """Feature index → (feature, how, value) for :meth:`Model.reason`, computed on first use."""

    def __init__(self, features: list[str]):
        super().__init__()
        self.features = features

    def __missing__(self, index: int) -> tuple[str, str, str]:
        feat = self.features[index]
        kind, _, val = feat.partition(":")
        if kind == "k":
            found = (feat, "k", val)
        elif kind in ("w", "b", "t", "u", "n"):
            found = (feat, "-", val) if not val or "0" in val else (feat, "n" if kind == "n" else "s", val)
        else:
            found = (feat, "", val)
        self[index] = found
        return found


class _Vocabulary(dict):
    """Feature string → index; -1 for an unknown feature (without storing it)."""

    def __missing__(self, feature: str) -> int:
        return -1


class _HashTable:
    """Integer keys → values, open addressing with linear probing, built and searched with numpy for whole
    arrays at a time (a binary search over 100,000 keys costs several times more per batch)."""

    _MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        bits = max(4, int(np.ceil(np.log2(max(1, keys.size) * 2.5))))
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._keys = np.full(1 << bits, -1, dtype=np.int64)  # keys are >= 0; -1 marks an empty slot
        self._values = np.full(1 << bits, -1, dtype=np.int64)
        slot = self._home(keys)
        todo = np.arange(keys.size)
        while todo.size:  # each round places at most one key per free slot; the others move one slot on
            free = self._keys[slot] == -1
            first = np.unique(slot[free], return_index=True)[1]
            placed = np.flatnonzero(free)[first]
            self._keys[slot[placed]] = keys[todo[placed]]
            self._values[slot[placed]] = values[todo[placed]]
            rest = np.ones(todo.size, dtype=bool)
            rest[placed] = False
            todo, slot = todo[rest], (slot[rest] + 1) & self._mask

    def _home(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys.astype(np.uint64) * self._MULT) >> self._shift).astype(np.int64)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The value of every key, -1 for a key that is not in the table."""
        out = np.full(keys.size, -1, dtype=np.int64)
        slot = self._home(keys)
        todo = np.arange(keys.size)
        while todo.size:
            found = self._keys[slot]
            hit = found == keys[todo]
            out[todo[hit]] = self._values[slot[hit]]
            go_on = ~hit & (found != -1)
            todo, slot = todo[go_on], (slot[go_on] + 1) & self._mask
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
