"""Sending uploaded files safely, after the owning app's view has decided the reader may have them.

Nothing under ``MEDIA_ROOT`` is served as a plain directory. Each app routes its own part of ``/media/`` to a
view that finds the stored file's record, asks ``dabai.accounts.permissions`` (or its own policy) and then
calls :func:`send`. Whatever has no such view is a 404.

Every file goes out with ``X-Content-Type-Options: nosniff``, a content type taken from its content (never
from the uploader), a sandboxing Content-Security-Policy, and ``Content-Disposition: attachment`` unless it
is a raster image: nothing is ever rendered as HTML from the site's origin.

With ``DABAI_MEDIA_ACCEL_REDIRECT`` set (e.g. ``/protected-media/``) the response carries only headers and
an ``X-Accel-Redirect`` to that internal nginx location, so nginx sends the bytes.
"""

import posixpath
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.encoding import escape_uri_path

from dabai.core import files

OCTET_STREAM = "application/octet-stream"
SANDBOX = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def stored_name(path: str) -> str:
    """The storage name of a ``/media/…`` path, or 404 for anything that tries to leave the media folder."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        raise Http404
    parts = path.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        raise Http404
    normal = posixpath.normpath(path)
    if normal != path:
        raise Http404
    return normal


def _content_disposition(kind: files.FileKind | None, download_name: str) -> str:
    disposition = "inline" if kind is not None and kind.inline else "attachment"
    ascii_name = download_name.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    ascii_name = "".join(c for c in ascii_name if c.isprintable()) or "download"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name, safe='')}"


def send(request: HttpRequest, field_file, *, download_name: str) -> HttpResponse:
    """The response for a stored file the reader may have (``field_file`` is a ``FieldFile``)."""
    name = field_file.name
    storage = getattr(field_file, "storage", default_storage)
    try:
        handle = storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    kind = files.serving_kind(handle, download_name or name)
    content_type = kind.content_type if kind is not None else OCTET_STREAM
    accel = getattr(settings, "MEDIA_ACCEL_REDIRECT", "")
    if accel:
        handle.close()
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + escape_uri_path(name)
    else:
        response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = _content_disposition(kind, download_name or posixpath.basename(name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, max-age=300"
    return response
