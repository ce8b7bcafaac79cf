"""Feature extraction shared by training and run time.

Training and inference must compute *identical* features, so both call :func:`extract_batch`.  Features are
rjieba words, negated words, character unigrams, bigrams and trigrams (robust to segmentation errors and
unseen compounds), a few cue-category flags from the lexicons (so the learner can weigh curated evidence),
a question flag, a length bucket and the channel.

Speed: character n-grams are most of a message's features, so they are not built as strings.  The whole
batch is turned into one array of code points and every n-gram becomes one integer key (its code points
packed into 21-bit fields: unigrams below 2**21, bigrams below 2**42, trigrams above), computed with numpy
for all messages at once.  The model looks the keys up in a sorted array (``np.searchsorted``): exact, no
hashing collisions, and the vocabulary file keeps the readable strings (``b:退款``) for the "why".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import rjieba

_ASCII_LOWER = str.maketrans({c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
_DIGITS = re.compile(r"\d+")
_ANY_DIGIT = re.compile(r"\d").search
URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s\u4e00-\u9fff，。！？]+|(?<![@\w.])[a-z0-9-]+\.(?:com|cn|net|top|xyz|vip|cc|me|ly)(?:/[^\s\u4e00-\u9fff]*)?",
    re.I,
)
MAX_FEATURE_CHARS = 2000

NEGATORS = frozenset(
    ("不", "没", "没有", "别", "未", "不是", "不能", "不会", "不要", "无法", "not", "no", "never")
)
GRAM_KINDS = ("u", "b", "t")  # character unigram, bigram, trigram: the order is their length
_CUE_PREFIX = "k:".__add__


class _WordFeatures(dict):
    """word → its feature string ("w:退款"), or "" for punctuation, which is no feature: a word counts when it
    starts or ends with a letter or digit.  A memo, so that ``map`` runs at C speed over known words."""

    def __missing__(self, word: str) -> str:
        feature = "w:" + word if word[0].isalnum() or word[-1].isalnum() else ""
        if len(self) >= 200_000:  # bounded: a long-running process sees ever new words
            self.clear()
        self[word] = feature
        return feature


_word_feature = _WordFeatures().__getitem__


@dataclass(slots=True)
class FeatureBatch:
    """Features of a batch of messages.

    ``symbolic[i]`` are the feature strings of message *i* that are not character n-grams (``w:``, ``n:``,
    ``k:``, ``c:``, ``len:``); ``gram_owner`` / ``gram_keys`` are the n-grams of every message as
    (message index, integer key) pairs, not deduplicated.
    """

    symbolic: list[list[str]]
    gram_owner: np.ndarray
    gram_keys: np.ndarray


def gram_key(gram: str) -> int:
    """Integer key of one character n-gram (1 to 3 code points); see the module docstring."""
    cps = [ord(c) for c in gram]
    if len(cps) == 1:
        return cps[0]
    if len(cps) == 2:
        return (cps[0] + 1) << 21 | cps[1]
    if len(cps) == 3:
        return ((cps[0] + 1) << 21 | cps[1]) << 21 | cps[2]
    raise ValueError(f"not a 1-3 character n-gram: {gram!r}")


def gram_keys_of(grams: list[str], length: int) -> np.ndarray:
    """Keys of many n-grams of the same *length*, vectorised (used to load a model's vocabulary)."""
    if not grams:
        return np.zeros(0, dtype=np.int64)
    cps = np.frombuffer("".join(grams).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cps = cps.astype(np.int64).reshape(len(grams), length)
    key = cps[:, 0]
    for j in range(1, length):
        key = (key + 1) << 21 | cps[:, j] if j == 1 else key << 21 | cps[:, j]
    return key


def gram_string(key: int) -> str:
    """The feature string (``u:退``, ``b:退款``, ``t:退款了``) of an n-gram key; see :func:`gram_key`."""
    mask = (1 << 21) - 1
    if key < 1 << 21:
        return "u:" + chr(key)
    if key < 1 << 42:
        return "b:" + chr((key >> 21) - 1) + chr(key & mask)
    return "t:" + chr((key >> 42) - 1) + chr((key >> 21) & mask) + chr(key & mask)


def feature_text(norm: str, lowered: bool = False) -> str:
    """The text features are computed on: ASCII lower-cased, digit runs as "0", at most 2,000 characters."""
    low = norm if lowered else norm.translate(_ASCII_LOWER)
    return _DIGITS.sub("0", low)[:MAX_FEATURE_CHARS] if _ANY_DIGIT(low) else low[:MAX_FEATURE_CHARS]


def extract_batch(
    norms: list[str], channels: list[str | None], cue_cats: list[set[str]], *, lowered: bool = False
) -> FeatureBatch:
    """Features of normalised messages; the model maps them to vocabulary indices (:meth:`Model.rows`).

    ``lowered=True`` says the texts are ASCII lower-cased already (the analysis pipeline has them so).

    Characters, bigrams and trigrams carry real customers' short, unsegmentable turns ("厚不厚",
    "3袋199是吧"); words carry the rest; a word right after a negator is its own feature ("不/满意" is not
    "满意").
    """
    symbolic: list[list[str]] = []
    compacts: list[str] = []
    for norm, channel, cats in zip(norms, channels, cue_cats, strict=True):
        text = feature_text(norm, lowered)
        feats = ["c:" + (channel or "none"), *map(_CUE_PREFIX, cats)]
        if ("." in text or "//" in text) and URL_RE.search(text):  # every URL has one or the other
            feats.append("k:url")
        words = rjieba.cut(text)
        feats.extend(filter(None, map(_word_feature, words)))
        if not NEGATORS.isdisjoint(words):
            feats.extend(["n:" + b for a, b in pairwise(words) if a in NEGATORS])
        compact = text.replace(" ", "")
        compacts.append(compact)
        if "?" in text or "吗" in text or "呢" in text:
            feats.append("k:qmark")
        n = len(compact)
        feats.append("len:" + ("s" if n < 8 else "m" if n < 40 else "l"))
        symbolic.append(feats)
    owner, keys = _grams(compacts)
    return FeatureBatch(symbolic, owner, keys)


def _grams(compacts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(message index, key) of every character unigram, bigram and trigram of every compact text."""
    n = len(compacts)
    lens = np.fromiter(map(len, compacts), dtype=np.int64, count=n)
    total = int(lens.sum())
    if not total:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    cps = np.frombuffer("".join(compacts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cps = cps.astype(np.int64)
    owner = np.repeat(np.arange(n, dtype=np.int64), lens)
    # characters left in the message from each position on (1 at its last character)
    left = np.repeat(np.cumsum(lens), lens) - np.arange(total, dtype=np.int64)
    big = (cps[:-1] + 1) << 21 | cps[1:]
    two = left[:-1] >= 2
    tri = (big[:-1] << 21) | cps[2:]
    three = left[:-2] >= 3
    keys = np.concatenate((cps, big[two], tri[three]))
    owners = np.concatenate((owner, owner[:-1][two], owner[:-2][three]))
    return owners, keys


def extract(norm: str, channel: str | None, cue_cats: set[str]) -> list[str]:
    """Feature strings of one normalised message (readable form of :func:`extract_batch`, for tests)."""
    batch = extract_batch([norm], [channel], [cue_cats])
    return batch.symbolic[0] + [gram_string(k) for k in batch.gram_keys.tolist()]
