"""The ASGI static-file handler, with hostile paths answered 404 instead of a 500.

Django's handler turns only ``Http404`` into a response: ``/static/%2e%2e/…`` reaches the finders as
``../…`` and ``safe_join`` raises ``SuspiciousFileOperation``, a NUL byte raises ``ValueError``.  Neither may
tell the caller more than "not found".
"""

from __future__ import annotations

import logging

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse

logger = logging.getLogger("dabai.security")


class SafeASGIStaticFilesHandler(ASGIStaticFilesHandler):
    def serve(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().serve(request)
        except (SuspiciousOperation, ValueError) as exc:
            logger.warning("static path refused: %r (%s)", request.path[:200], type(exc).__name__)
            raise Http404 from None
