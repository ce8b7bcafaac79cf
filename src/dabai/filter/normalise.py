"""Length-preserving normalisation.

Every detector runs on the normalised text, but every span must point into the *original* text.  The
cheapest way to guarantee that is to make normalisation length-preserving: one output character per input
character.  Traditional→simplified (OpenCC), full-width→half-width and whitespace folding are all 1:1 in
practice; the rare OpenCC phrase rule that changes length is undone by converting character by character.
"""

from __future__ import annotations

import re
import threading

import numpy as np

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space
# Control characters and exotic whitespace become a plain space: detectors then never see them and OpenCC
# (a C++ library with C strings underneath) never receives a NUL.
_SPACES = {cp: 0x20 for cp in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA1), 0x1680, *range(0x2000, 0x200B)]}
_SPACES.update({0x2028: 0x20, 0x2029: 0x20, 0x202F: 0x20, 0x205F: 0x20, 0xFEFF: 0x20})
_SURROGATES = {cp: 0xFFFD for cp in range(0xD800, 0xE000)}  # lone surrogates cannot be encoded for rjieba
_TABLE = str.maketrans({**_SPACES, **_FULLWIDTH, **_SURROGATES})


def _char_class(codes: list[int]) -> str:
    """A regex character class of *codes*, as ranges."""
    ranges: list[tuple[int, int]] = []
    for c in sorted(codes):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    return "[" + "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]"


# str.translate looks every character up in the table; most messages have none of its characters, and a
# regex scan says so far faster.
_FOLDS = re.compile(_char_class(list(_TABLE))).search
_FOLD_BMP = np.arange(
    0x10000, dtype=np.uint32
)  # the table for a batch (every code it changes is below 0x10000)
_FOLD_BMP[np.fromiter(_TABLE, dtype=np.int64)] = np.fromiter(_TABLE.values(), dtype=np.int64)


def _fold(text: str) -> str:
    """Control characters and exotic spaces to spaces, full-width to half-width, lone surrogates to U+FFFD."""
    return text.translate(_TABLE) if _FOLDS(text) else text


_converter = None
_lock = threading.Lock()


def _opencc():
    """Create the OpenCC converter once; it is thread-safe for convert() calls."""
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s.json")
    return _converter


def _t2s(text: str) -> str:
    """Convert traditional to simplified, keeping exactly one character per input character."""
    if text.isascii():
        return text
    conv = _opencc()
    try:
        out = conv.convert(text)
    except Exception:  # lone surrogates and the like: leave the text as it is
        return text
    if len(out) == len(text):
        return out
    chars = []
    for ch in text:
        try:
            c = conv.convert(ch)
        except Exception:
            c = ch
        chars.append(c if len(c) == 1 else ch)
    return "".join(chars)


def normalise(text: str) -> str:
    """Return the normalised form of *text*; ``len(normalise(t)) == len(t)`` always holds."""
    return _t2s(_fold(text))


def _fold_joined(texts: list[str]) -> str:
    """``"\\n".join(map(_fold, texts))`` for a batch: one table lookup with numpy over all its code points
    (Chinese text has a full-width comma in nearly every message, so ``str.translate`` would look up every
    character of nearly every message)."""
    joined = "\n".join(texts)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    folded = np.where(cps < 0x10000, _FOLD_BMP[cps & 0xFFFF], cps)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    folded[np.cumsum(lengths + 1)[:-1] - 1] = 0x0A  # the separators stay; newlines in a text are spaces
    return folded.tobytes().decode("utf-32-le")


def normalise_many(texts: list[str]) -> list[str]:
    """Normalise a batch with one OpenCC call; falls back to per-text conversion if lengths drift."""
    if len(texts) > 8:
        joined = _fold_joined(texts)
        folded = joined.split("\n")
    else:
        folded = list(map(_fold, texts))
        joined = "\n".join(folded)  # newlines were folded to spaces, so "\n" is a safe separator
    if joined.isascii():
        return folded
    try:
        converted = _opencc().convert(joined).split("\n")
    except Exception:
        converted = []
    if len(converted) != len(folded):
        return [_t2s(t) for t in folded]
    return [c if len(c) == len(f) else _t2s(f) for c, f in zip(converted, folded, strict=True)]
