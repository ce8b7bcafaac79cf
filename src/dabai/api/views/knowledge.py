"""Knowledge articles: published ones, read and searched as the help centre and the bot do."""

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router

from dabai.api import selectors
from dabai.api.auth import need
from dabai.api.schemas import ArticleOut, ArticlePage, SearchOut, Text
from dabai.api.scopes import Scope
from dabai.api.views.common import Cursor, Limit, PathId, found, responses

router = Router(tags=["Knowledge"])


@router.get("/knowledge/articles", response=responses({200: ArticlePage}), summary="List published articles")
def list_articles(
    request: HttpRequest,
    language: Literal["zh-hans", "en"] | None = None,
    cursor: Cursor = None,
    limit: Limit = 25,
):
    """Newest first, without their bodies. Scope `read:knowledge`."""
    need(request, Scope.READ_KNOWLEDGE)
    rows, next_cursor = selectors.article_page(language or "", cursor, limit)
    return {"items": [selectors.article_out(a) for a in rows], "next_cursor": next_cursor}


@router.get(
    "/knowledge/articles/{article_id}", response=responses({200: ArticleOut}), summary="Get an article"
)
def get_article(request: HttpRequest, article_id: PathId):
    """One published article with its body. Scope `read:knowledge`."""
    need(request, Scope.READ_KNOWLEDGE)
    return selectors.article_out(found(selectors.article_for(article_id)), body=True)


@router.get("/knowledge/search", response=responses({200: SearchOut}), summary="Search articles")
def search_articles(request: HttpRequest, q: Query[Text(min_length=1, max_length=200)], limit: Limit = 10):
    """The help centre's search: synonyms, Chinese word segmentation, BM25 ranking, highlighted snippets.
    Scope `read:knowledge`."""
    need(request, Scope.READ_KNOWLEDGE)
    return selectors.search(q, limit)
