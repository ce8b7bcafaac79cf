"""CSV exports that open safely in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by Excel,
WPS and LibreOffice (CSV injection).  Every export writes through :func:`writer`, which prefixes such text
cells with ``'`` so they are shown as text; numbers are written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """*value*, with a leading ``'`` if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, file: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(file, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(file: Any, **kwargs: Any) -> SafeWriter:
    return SafeWriter(file, **kwargs)


def csv_response(filename: str) -> HttpResponse:
    """An attachment ``<filename>.csv`` in UTF-8 with a BOM, so Excel reads the Chinese right."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")
    return response
