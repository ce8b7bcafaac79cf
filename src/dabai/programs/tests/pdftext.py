"""The text a PDF shows, read back without a PDF library (neither pypdf nor pdftotext is installed here).

Enough for fpdf2's output: streams are Flate-compressed or plain; text is shown with ``(...) Tj`` in 2-byte
glyph ids of a subset font whose ``ToUnicode`` CMap (``beginbfchar``) maps them back to characters.
"""

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4,8})>")
_SHOW = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _streams(data: bytes) -> list[bytes]:
    out = []
    for match in _STREAM.finditer(data):
        raw = match.group(1)
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return out


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(literal):
        byte = literal[i : i + 1]
        if byte != b"\\":
            out += byte
            i += 1
            continue
        following = literal[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(0), 8) & 0xFF)
            i += 1 + len(octal.group(0))
        else:
            out += _ESCAPES.get(following, following)
            i += 2
    return bytes(out)


def pdf_text(data: bytes) -> str:
    streams = _streams(data)
    glyphs: dict[int, str] = {}
    for stream in streams:
        if b"beginbfchar" in stream:
            for gid, code in _BFCHAR.findall(stream):
                glyphs[int(gid, 16)] = bytes.fromhex(code.decode()).decode("utf-16-be")
    lines = []
    for stream in streams:
        for literal in _SHOW.findall(stream):
            raw = _unescape(literal)
            lines.append(
                "".join(
                    glyphs.get(int.from_bytes(raw[i : i + 2], "big"), "") for i in range(0, len(raw) - 1, 2)
                )
            )
    return "\n".join(lines)
