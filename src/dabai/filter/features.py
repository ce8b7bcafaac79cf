"""Feature extraction shared by training and run time.

Training and inference must compute *identical* features, so both import this one function.  Features are
rjieba words plus character bigrams (robust to segmentation errors and unseen compounds), a few cue-category
flags from the lexicons (so the learner can weigh curated evidence) and the channel.
"""

from __future__ import annotations

import re

import rjieba

_ASCII_LOWER = str.maketrans({c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
_DIGITS = re.compile(r"\d+")
URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s\u4e00-\u9fff，。！？]+|(?<![@\w.])[a-z0-9-]+\.(?:com|cn|net|top|xyz|vip|cc|me|ly)(?:/[^\s\u4e00-\u9fff]*)?",
    re.I,
)


NEGATORS = frozenset(("不", "没", "没有", "别", "未", "不是", "不能", "不会", "不要", "无法", "not", "no", "never"))


def extract(norm: str, channel: str | None, cue_cats: set[str]) -> list[str]:
    """Feature strings of one normalised message; the caller maps them to vocabulary indices.

    Characters, bigrams and trigrams carry real customers' short, unsegmentable turns ("厚不厚", "3袋199是吧");
    words carry the rest; a word right after a negator is its own feature ("不/满意" is not "满意").
    """
    text = _DIGITS.sub("0", norm.translate(_ASCII_LOWER))[:2000]
    feats = [f"c:{channel or 'none'}"]
    feats.extend("k:" + c for c in cue_cats)
    if URL_RE.search(text):
        feats.append("k:url")
    words = rjieba.cut(text)
    feats.extend("w:" + w for w in words if w[0].isalnum() or w[-1].isalnum())
    feats.extend("n:" + words[i + 1] for i in range(len(words) - 1) if words[i] in NEGATORS)
    compact = text.replace(" ", "")
    feats.extend("u:" + ch for ch in compact)
    feats.extend("b:" + compact[i : i + 2] for i in range(len(compact) - 1))
    feats.extend("t:" + compact[i : i + 3] for i in range(len(compact) - 2))
    if "?" in text or "吗" in text or "呢" in text:
        feats.append("k:qmark")
    n = len(compact)
    feats.append("len:" + ("s" if n < 8 else "m" if n < 40 else "l"))
    return feats
