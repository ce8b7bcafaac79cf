"""What kind of file is this, really? Uploads and stored files are judged by their content, not their name.

Only the kinds listed here are accepted where the public can read them (help-centre attachments): raster
images, PDF and office documents, plain text. SVG and HTML are never accepted: a browser runs their scripts.
A file passes only when its extension and its first bytes agree (an ``.png`` that is really HTML is refused).
"""

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HEAD_BYTES = 4096


@dataclass(frozen=True)
class FileKind:
    name: str
    extensions: tuple[str, ...]
    content_type: str
    inline: bool = False  # raster images may show in the page; everything else is downloaded


PNG = FileKind("png", ("png",), "image/png", inline=True)
JPEG = FileKind("jpeg", ("jpg", "jpeg"), "image/jpeg", inline=True)
GIF = FileKind("gif", ("gif",), "image/gif", inline=True)
WEBP = FileKind("webp", ("webp",), "image/webp", inline=True)
PDF = FileKind("pdf", ("pdf",), "application/pdf")
DOCX = FileKind("docx", ("docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = FileKind("xlsx", ("xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PPTX = FileKind(
    "pptx", ("pptx",), "application/vnd.openxmlformats-officedocument.presentationml.presentation"
)
DOC = FileKind("doc", ("doc",), "application/msword")
XLS = FileKind("xls", ("xls",), "application/vnd.ms-excel")
PPT = FileKind("ppt", ("ppt",), "application/vnd.ms-powerpoint")
TEXT = FileKind("text", ("txt",), "text/plain; charset=utf-8")
CSV = FileKind("csv", ("csv",), "text/csv; charset=utf-8")

#: What the help centre accepts.
DOCUMENT_KINDS = (PNG, JPEG, GIF, WEBP, PDF, DOCX, XLSX, PPTX, DOC, XLS, PPT, TEXT, CSV)

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


class RefusedFile(ValidationError):
    """The upload is not one of the accepted kinds, or is too large."""


def extension(filename: str) -> str:
    return PurePosixPath(filename.replace("\\", "/")).suffix.lower().lstrip(".")


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 4:  # a character cut off by the head's end is fine
            return False
    return True


def _ooxml_kind(data: IO[bytes]) -> str | None:
    try:
        names = zipfile.ZipFile(data).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for kind, folder in OOXML_FOLDERS.items():
        if any(n.startswith(folder) for n in names):
            return kind
    return None


def sniff(head: bytes) -> set[str]:
    """The kinds these first bytes can belong to (office zips and OLE files need their extension too)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return {"png"}
    if head.startswith(b"\xff\xd8\xff"):
        return {"jpeg"}
    if head.startswith((b"GIF87a", b"GIF89a")):
        return {"gif"}
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return {"webp"}
    if head.startswith(b"%PDF-"):
        return {"pdf"}
    if head.startswith(b"PK\x03\x04"):
        return {"docx", "xlsx", "pptx"}
    if head.startswith(OLE2):
        return {"doc", "xls", "ppt"}
    if _is_text(head.removeprefix(b"\xef\xbb\xbf")):
        return {"text", "csv"}
    return set()


def _read_head(file: IO[bytes]) -> bytes:
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    return head


def identify(
    file: IO[bytes], filename: str, *, kinds: tuple[FileKind, ...] = DOCUMENT_KINDS, max_bytes: int
) -> FileKind:
    """The accepted kind of an upload, or :class:`RefusedFile` with the reason a person can act on."""
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
    if size > max_bytes:
        raise RefusedFile(
            _("The file is larger than %(limit)s MB.") % {"limit": round(max_bytes / 1024 / 1024, 1)},
            code="too_large",
        )
    ext = extension(filename)
    claimed = [k for k in kinds if ext in k.extensions]
    if not claimed:
        raise RefusedFile(
            _("Files of this type cannot be attached. Allowed: %(types)s.")
            % {"types": ", ".join(e for k in kinds for e in k.extensions)},
            code="type",
        )
    kind = claimed[0]
    found = sniff(_read_head(file))
    if kind.name in OOXML_FOLDERS and kind.name in found:
        ok = _ooxml_kind(file) == kind.name
        file.seek(0)
    else:
        ok = kind.name in found
    if not ok:
        raise RefusedFile(
            _("The file's content does not match its name (.%(ext)s).") % {"ext": ext}, code="content"
        )
    return kind


def serving_kind(file: IO[bytes], filename: str) -> FileKind | None:
    """How to send a stored file: its kind when name and content agree, else ``None`` (send as bytes)."""
    ext = extension(filename)
    found = sniff(_read_head(file))
    for kind in DOCUMENT_KINDS:
        if ext in kind.extensions and kind.name in found:
            return kind
    return None
