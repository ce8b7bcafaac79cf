"""Reads of the knowledge base: what the help centre lists, search results with snippets, desk suggestions,
version diffs and content gaps."""

import difflib
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from dabai.accounts.models import User
from dabai.accounts.permissions import is_desk_user
from dabai.conversations.models import Conversation, Direction
from dabai.knowledge import search as search_index
from dabai.knowledge.links import article_message, short_url
from dabai.knowledge.models import (
    Article,
    ArticleDraft,
    ArticleStatus,
    ArticleVersion,
    Attachment,
    BotEvent,
    Category,
    Feedback,
    Language,
    SearchEntry,
    SearchLog,
)


@dataclass
class ArticleHit:
    article: Article
    title: SafeString
    snippet: SafeString
    score: float
    confidence: float

    @property
    def link(self) -> str:
        return short_url(self.article)

    @property
    def message(self) -> str:
        return article_message(self.article)


def published_articles():
    return Article.objects.filter(status=ArticleStatus.PUBLISHED)


def _for_language(articles, language: str):
    """English readers get English articles plus Chinese ones not yet translated; others get Chinese."""
    if language == Language.EN:
        translated = Article.objects.filter(language=Language.EN, status=ArticleStatus.PUBLISHED).values(
            "translation_of_id"
        )
        return articles.filter(
            Q(language=Language.EN) | (Q(language=Language.ZH_HANS) & ~Q(pk__in=translated))
        )
    return articles.filter(language=Language.ZH_HANS)


def help_categories(language: str) -> list[Category]:
    articles = _for_language(published_articles(), language).order_by("title")
    categories = Category.objects.prefetch_related(Prefetch("articles", queryset=articles, to_attr="listed"))
    return [c for c in categories if c.listed]


def category_articles(category: Category, language: str):
    return _for_language(published_articles().filter(category=category), language).order_by("title")


def readable_article(slug: str) -> Article | None:
    """A published article by slug, with what its page shows."""
    return (
        published_articles()
        .select_related("category", "translation_of")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.filter(approved=True)), "tags")
        .filter(slug=slug)
        .first()
    )


def readable_attachment(stored_name: str, user: User) -> Attachment | None:
    """The attachment stored under this name if the reader may have it: the desk reads every article's files;
    everyone else only approved files of published articles."""
    attachment = Attachment.objects.select_related("article").filter(file=stored_name).first()
    if attachment is None:
        return None
    if is_desk_user(user):
        return attachment
    if attachment.approved and attachment.article.is_published:
        return attachment
    return None


def translations_of(article: Article) -> list[Article]:
    """The same answer in other languages (both directions of ``translation_of``)."""
    original = article.translation_of or article
    family = (
        published_articles().filter(Q(pk=original.pk) | Q(translation_of=original)).exclude(pk=article.pk)
    )
    return list(family)


def feedback_on(article: Article, pk: object) -> Feedback | None:
    """A "not helpful" answer still waiting for its comment (never someone else's filled-in one)."""
    if not isinstance(pk, int):
        return None
    return Feedback.objects.filter(pk=pk, article=article, helpful=False, comment="").first()


def related_articles(article: Article) -> list[Article]:
    return list(article.related.filter(status=ArticleStatus.PUBLISHED)[:5])


def search_articles(
    query: str, *, limit: int = 10, public_only: bool = True
) -> tuple[search_index.Search, list[ArticleHit]]:
    """Ranked articles for a question, with highlighted titles and snippets."""
    found = search_index.search(
        query, kinds=(SearchEntry.Kind.ARTICLE,), public_only=public_only, limit=limit
    )
    articles = Article.objects.select_related("category").in_bulk([h.object_id for h in found.hits])
    hits = []
    for hit in found.hits:
        article = articles.get(hit.object_id)
        if article is None:
            continue
        hits.append(
            ArticleHit(
                article=article,
                title=search_index.highlight(article.title, hit.matched, width=200),
                snippet=search_index.highlight(f"{article.summary} {article.body}", hit.matched),
                score=hit.score,
                confidence=hit.confidence,
            )
        )
    return found, hits


def conversation_question(conversation: Conversation, last: int = 3) -> str:
    """What the customer is asking: their latest few messages."""
    bodies = list(
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("-sent_at", "-id")
        .values_list("body", flat=True)[:last]
    )
    return " ".join(reversed(bodies))[:500]


def suggestions_for(conversation: Conversation, limit: int = 3) -> list[ArticleHit]:
    """The top articles for the conversation, for the agent's desk (drafts excluded)."""
    question = conversation_question(conversation)
    if not question:
        return []
    return search_articles(question, limit=limit)[1]


def version_diff(article: Article, old: int, new: int) -> list[str]:
    """A unified diff between two saved versions of an article (title, summary and body)."""
    versions = {v.number: v for v in ArticleVersion.objects.filter(article=article, number__in=[old, new])}
    if old not in versions or new not in versions:
        return []

    def lines(v: ArticleVersion) -> list[str]:
        return [v.title, v.summary, "", *v.body.splitlines()]

    return list(
        difflib.unified_diff(lines(versions[old]), lines(versions[new]), f"v{old}", f"v{new}", lineterm="")
    )


def pending_drafts():
    """Drafts of published articles waiting for a publisher, oldest first."""
    return (
        ArticleDraft.objects.filter(state=ArticleDraft.State.PENDING)
        .select_related("article", "author")
        .order_by("created_at", "id")
    )


def draft_diff(draft: ArticleDraft) -> list[str]:
    """What publishing the draft would change in the article as it is now."""

    def lines(item: Article | ArticleDraft) -> list[str]:
        return [item.title, item.summary, "", *item.body.splitlines()]

    return list(
        difflib.unified_diff(
            lines(draft.article), lines(draft), f"v{draft.article.version}", "draft", lineterm=""
        )
    )


@dataclass
class Gap:
    topic: str
    searches: int
    hand_overs: int
    example: str

    @property
    def total(self) -> int:
        return self.searches + self.hand_overs


def content_gaps(days: int = 30, limit: int = 50) -> list[Gap]:
    """Questions nobody could answer well, grouped by topic: the articles to write next."""
    since = timezone.now() - timedelta(days=days)
    gaps: dict[str, Gap] = {}
    searches = (
        SearchLog.objects.filter(is_gap=True, created_at__gte=since)
        .exclude(topic="")
        .values("topic")
        .annotate(n=Count("id"))
    )
    for row in searches:
        example = (
            SearchLog.objects.filter(topic=row["topic"], is_gap=True).values_list("query", flat=True).first()
        )
        gaps[row["topic"]] = Gap(row["topic"], row["n"], 0, example or "")
    hand_overs = (
        BotEvent.objects.filter(action=BotEvent.Action.HAND_OVER, created_at__gte=since)
        .exclude(topic="")
        .values("topic")
        .annotate(n=Count("id"))
    )
    for row in hand_overs:
        gap = gaps.setdefault(row["topic"], Gap(row["topic"], 0, 0, ""))
        gap.hand_overs = row["n"]
    return sorted(gaps.values(), key=lambda g: (-g.total, g.topic))[:limit]


# --------------------------------------------------------------------------------- the chat widget (issue 15)

SUGGESTED_QUESTIONS = 4


def popular_questions(language: str = Language.ZH_HANS, limit: int = SUGGESTED_QUESTIONS) -> list[str]:
    """What the widget offers before the visitor types: the titles of the most-read published articles."""
    articles = _for_language(published_articles(), language).order_by("-view_count", "-helpful_count", "pk")
    return list(articles.values_list("title", flat=True)[:limit])


def chat_cards(message_ids: list[int]) -> dict[int, dict]:
    """How the widget draws the bot's messages, by message id (messages the bot did not write get none).

    An answer becomes an article card with the help-centre link; only the conversation's latest answer, with
    nothing after it yet, still asks "解决了 / 没解决". A hand-over says whether it came out of hours (the
    widget then offers a contact form).
    """
    events = list(
        BotEvent.objects.filter(reply_id__in=message_ids)
        .select_related("article")
        .order_by("created_at", "id")
    )
    if not events:
        return {}
    latest: dict[int, int] = {}
    for conversation_id, event_id in (
        BotEvent.objects.filter(conversation_id__in={e.conversation_id for e in events})
        .order_by("created_at", "id")
        .values_list("conversation_id", "id")
    ):
        latest[conversation_id] = event_id
    cards: dict[int, dict] = {}
    for event in events:
        if event.action == BotEvent.Action.ANSWER and event.article is not None:
            article = event.article
            cards[event.reply_id] = {
                "kind": "article",
                "title": article.title,
                "summary": article.summary or article.body[:150],
                "url": reverse("help:article", kwargs={"slug": article.slug}),
                "ask": latest.get(event.conversation_id) == event.id,
            }
        elif event.action in {BotEvent.Action.HAND_OVER, BotEvent.Action.QUEUE_UPDATE}:
            cards[event.reply_id] = {"kind": "handover", "out_of_hours": event.out_of_hours}
    return cards
