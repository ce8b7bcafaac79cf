"""Cells that a spreadsheet would run as a formula are written as text."""

import csv
import io

import pytest

from dabai.core.csvsafe import csv_response, safe_cell, writer


@pytest.mark.parametrize(
    "value", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")']
)
def test_formula_starts_are_neutralised(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["hello", "1+1", "", "客户 -1", 42, -3, 1.5, None])
def test_ordinary_values_pass_through(value):
    assert safe_cell(value) == value


def test_writer_and_response_neutralise_every_row_including_the_header():
    response = csv_response("report")
    out = writer(response)
    out.writerow(["day", "=cmd|' /C calc'!A0"])
    out.writerows([["@x", 1], ["ok", -1]])
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["day", "'=cmd|' /C calc'!A0"], ["'@x", "1"], ["ok", "-1"]]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
