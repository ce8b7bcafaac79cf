"""Help-centre articles and search, and the filter's own endpoint (the CLI's JSON contract)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from dabai.api.schemas.common import MAX_ID, Text

# ----------------------------------------------------------------------------------------------- knowledge


class ArticleSummary(Schema):
    id: int
    slug: str
    language: str
    title: str
    summary: str
    category: str | None
    tags: list[str]
    published_at: datetime | None
    updated_at: datetime


class ArticleOut(ArticleSummary):
    body: str


class ArticlePage(Schema):
    items: list[ArticleSummary]
    next_cursor: str | None


class SearchHitOut(Schema):
    article: ArticleSummary
    score: float
    confidence: float
    snippet_html: str = Field(description="Escaped text with the matched words in <mark>.")


class SearchOut(Schema):
    query: str
    confidence: float
    hits: list[SearchHitOut]


# -------------------------------------------------------------------------------------------------- filter


class AnalyseItem(Schema):
    id: Annotated[int, Field(ge=-MAX_ID, le=MAX_ID)] | Text(max_length=200) | None = Field(
        None, description="Echoed back; defaults to the item's position (1-based), as the CLI's line number."
    )
    text: Text(max_length=20000)
    channel: Literal["email", "chat", "sms", "phone", "weibo", "wechat"] | None = None


class AnalyseIn(Schema):
    items: list[AnalyseItem] = Field(min_length=1, max_length=256)


class AnalysisOut(Schema):
    """One object of ``dabai filter analyse`` output, exactly as the CLI prints it."""

    id: int | str
    sentiment: dict[str, Any]
    emotions: list[dict[str, Any]]
    intent: dict[str, Any] | None
    voice: dict[str, Any] | None
    escalation: dict[str, Any]
    urgency: dict[str, Any]
    spam: dict[str, Any]
    pii: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    address_form: dict[str, Any] | None
    masked_text: str
    why: dict[str, Any]
    model_version: str


class AnalyseOut(Schema):
    results: list[AnalysisOut]
