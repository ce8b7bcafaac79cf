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


def extract(norm: str, channel: str | None, cue_cats: set[str]) -> list[str]:
    """Feature strings of one normalised message; the caller maps them to vocabulary indices."""
    text = _DIGITS.sub("0", norm.translate(_ASCII_LOWER))[:2000]
    feats = [f"c:{channel or 'none'}"]
    feats.extend("k:" + c for c in cue_cats)
    if URL_RE.search(text):
        feats.append("k:url")
    feats.extend("w:" + w for w in rjieba.cut(text) if w[0].isalnum() or w[-1].isalnum())
    compact = text.replace(" ", "")
    feats.extend("b:" + compact[i : i + 2] for i in range(len(compact) - 1))
    if "?" in text or "吗" in text or "呢" in text:
        feats.append("k:qmark")
    n = len(compact)
    feats.append("len:" + ("s" if n < 8 else "m" if n < 40 else "l"))
    return feats
