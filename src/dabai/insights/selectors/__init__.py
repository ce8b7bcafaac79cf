"""Reads of the voice-of-the-customer portal: the faceted case library, its trend and emerging issues, the
masked case page and the export rows.

Departments read what customers said and how the centre answered, never who they are. Everything shown comes
from masked text: the case index holds only masked tokens and text (services.py), and the case page masks
each message with the filter's lenient mask plus the customer's known name (``masking.for_departments``),
the filter's reasons included. Customers appear only as a case number.

The package's modules: ``filters`` (the query string and the cases it selects), ``facets`` (facet counts,
total and trend in one query), ``cases`` (a page of results), ``trends`` (weekly counts and rises),
``thread`` (the masked case page, shares, saved searches) and ``exports``; the names below are its interface.
"""

from dabai.insights.selectors.cases import LIST_FIELDS, CaseRow, results
from dabai.insights.selectors.exports import EXPORT_LIMIT, export_header, export_rows
from dabai.insights.selectors.facets import (
    PRODUCT_FACET_SIZE,
    TOPIC_FACET_SIZE,
    Counts,
    Facet,
    FacetValue,
    count,
    facets,
    forget_counts,
)
from dabai.insights.selectors.filters import (
    FILTER_PARAMS,
    FLAG_FIELDS,
    FLAGS,
    MULTI,
    CaseFilters,
    filtered,
    value_label,
)
from dabai.insights.selectors.thread import (
    MaskedMessage,
    ShownBadge,
    TranscriptLine,
    case,
    masked_thread,
    saved_searches,
    share,
)
from dabai.insights.selectors.trends import (
    BASELINE_FLOOR,
    BASELINE_WEEKS,
    EMERGING_MIN_COUNT,
    EMERGING_P_VALUE,
    TREND_WEEKS,
    Rise,
    chart_payload,
    p_value_text,
    rise,
    trend,
    weekly_counts,
    weekly_rise,
)

__all__ = [
    "BASELINE_FLOOR",
    "BASELINE_WEEKS",
    "EMERGING_MIN_COUNT",
    "EMERGING_P_VALUE",
    "EXPORT_LIMIT",
    "FILTER_PARAMS",
    "FLAGS",
    "FLAG_FIELDS",
    "LIST_FIELDS",
    "MULTI",
    "PRODUCT_FACET_SIZE",
    "TOPIC_FACET_SIZE",
    "TREND_WEEKS",
    "CaseFilters",
    "CaseRow",
    "Counts",
    "Facet",
    "FacetValue",
    "MaskedMessage",
    "Rise",
    "ShownBadge",
    "TranscriptLine",
    "case",
    "chart_payload",
    "count",
    "export_header",
    "export_rows",
    "facets",
    "filtered",
    "forget_counts",
    "masked_thread",
    "p_value_text",
    "results",
    "rise",
    "saved_searches",
    "share",
    "trend",
    "value_label",
    "weekly_counts",
    "weekly_rise",
]
