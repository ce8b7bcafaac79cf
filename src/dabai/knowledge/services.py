"""Every state change of the knowledge base, one typed function each."""

import logging
import secrets
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from dabai.accounts.models import User
from dabai.accounts.services import record_audit
from dabai.conversations.models import Conversation, Direction, Status
from dabai.conversations.services import post_reply, start_conversation
from dabai.core import files
from dabai.core.choices import Channel
from dabai.customers.models import Customer
from dabai.filter import mask
from dabai.knowledge import policy, text
from dabai.knowledge import search as search_index
from dabai.knowledge.links import article_message
from dabai.knowledge.models import (
    Article,
    ArticleDraft,
    ArticleStatus,
    ArticleVersion,
    Attachment,
    Category,
    Feedback,
    SearchEntry,
    SearchLog,
    Synonym,
    Tag,
)

logger = logging.getLogger(__name__)

# A search (or bot question) whose best article covers less than this share of the query is a content gap.
GAP_CONFIDENCE = 0.5


def _unique_slug(title: str, article: Article | None) -> str:
    base = slugify(title)[:60] or "article"
    slug = base
    while Article.objects.filter(slug=slug).exclude(pk=getattr(article, "pk", None)).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def index_article(article: Article) -> None:
    """Keep the article's search entry in step with it; only published articles are public."""
    tags = " ".join(article.tags.values_list("name", flat=True)) if article.pk else ""
    search_index.index_document(
        SearchEntry.Kind.ARTICLE,
        article.pk,
        article.title,
        f"{article.summary}\n{tags}\n{article.body}",
        public=article.is_published,
        language=article.language,
    )


@transaction.atomic
def save_article(
    *,
    actor: User | None,
    title: str,
    body: str,
    summary: str = "",
    category: Category | None = None,
    language: str = "zh-hans",
    tags: list[str] | None = None,
    article: Article | None = None,
    translation_of: Article | None = None,
    status: str | None = None,
    author: User | None = None,
) -> Article:
    """Create an article or change it; every save is a new numbered version in the history.

    ``author`` is whose words the version holds when that is not the actor (a published draft).
    """
    creating = article is None
    if article is None:
        article = Article(created_by=actor, slug=_unique_slug(title, None))
    else:
        article.version = F("version") + 1
    article.title, article.body, article.summary = title, body, summary
    article.category, article.language = category, language
    article.translation_of = translation_of if translation_of != article else None
    if status is not None:
        article.status = status
        if status == ArticleStatus.PUBLISHED and article.published_at is None:
            article.published_at = timezone.now()
    article.save()
    article.refresh_from_db(fields=["version"])
    if tags is not None:
        article.tags.set([Tag.objects.get_or_create(name=t.strip()[:50])[0] for t in tags if t.strip()])
    ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=title,
        summary=summary,
        body=body,
        author=author or actor,
    )
    index_article(article)
    record_audit(actor, "knowledge.article.create" if creating else "knowledge.article.edit", article)
    return article


@transaction.atomic
def set_article_status(article: Article, status: str, *, actor: User | None) -> Article:
    """Publish an article (it appears in the help centre, search and bot) or take it back to draft."""
    article.status = status
    if status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()
    article.save(update_fields=["status", "published_at", "updated_at"])
    index_article(article)
    record_audit(actor, "knowledge.article.status", article, {"status": status})
    return article


def set_related(article: Article, related: list[Article]) -> None:
    article.related.set([a for a in related if a.pk != article.pk])


def edit_article(
    *,
    actor: User,
    article: Article,
    title: str,
    body: str,
    summary: str = "",
    category: Category | None = None,
    language: str = "zh-hans",
    translation_of: Article | None = None,
    tags: list[str] | None = None,
    related: list[Article] | None = None,
) -> Article | ArticleDraft:
    """Change an article from the desk.

    Publishers (and anyone editing an unpublished article) change it at once. Someone who may not publish
    cannot change what the help centre shows: their edit of a published article becomes a draft that waits
    for a publisher (:func:`publish_draft`, :func:`reject_draft`).
    """
    if article.is_published and not policy.can_publish(actor):
        return submit_draft(
            actor=actor,
            article=article,
            title=title,
            body=body,
            summary=summary,
            category=category,
            language=language,
            translation_of=translation_of,
            tags=tags,
            related=related,
        )
    with transaction.atomic():
        saved = save_article(
            actor=actor,
            article=article,
            title=title,
            body=body,
            summary=summary,
            category=category,
            language=language,
            translation_of=translation_of,
            tags=tags,
        )
        if related is not None:
            set_related(saved, related)
    return saved


@transaction.atomic
def submit_draft(
    *,
    actor: User,
    article: Article,
    title: str,
    body: str,
    summary: str = "",
    category: Category | None = None,
    language: str = "zh-hans",
    translation_of: Article | None = None,
    tags: list[str] | None = None,
    related: list[Article] | None = None,
) -> ArticleDraft:
    """Keep a proposed change to an article for a publisher to review; the article itself is untouched."""
    if tags is None:
        tags = list(article.tags.values_list("name", flat=True))
    if related is None:
        related = list(article.related.all())
    draft = ArticleDraft.objects.create(
        article=article,
        base_version=article.version,
        title=title,
        summary=summary,
        body=body,
        category=category,
        language=language,
        translation_of=translation_of if translation_of != article else None,
        tags=[t.strip()[:50] for t in tags if t.strip()],
        related=[a.pk for a in related if a.pk != article.pk],
        author=actor,
    )
    record_audit(actor, "knowledge.draft.submit", draft, {"article": article.pk})
    return draft


@transaction.atomic
def publish_draft(draft: ArticleDraft, *, actor: User) -> Article:
    """A publisher accepts a draft: it becomes the article's next version (the author's words)."""
    policy.require(policy.can_publish(actor))
    draft = ArticleDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.state != ArticleDraft.State.PENDING:
        return draft.article
    article = save_article(
        actor=actor,
        article=draft.article,
        title=draft.title,
        body=draft.body,
        summary=draft.summary,
        category=draft.category,
        language=draft.language,
        translation_of=draft.translation_of,
        tags=draft.tags,
        author=draft.author,
    )
    set_related(article, list(Article.objects.filter(pk__in=draft.related)))
    draft.state, draft.decided_by, draft.decided_at = ArticleDraft.State.PUBLISHED, actor, timezone.now()
    draft.save(update_fields=["state", "decided_by", "decided_at"])
    record_audit(actor, "knowledge.draft.publish", draft, {"article": article.pk, "version": article.version})
    return article


@transaction.atomic
def reject_draft(draft: ArticleDraft, *, actor: User) -> ArticleDraft:
    """A publisher turns a draft down; the article stays as it is."""
    policy.require(policy.can_publish(actor))
    draft = ArticleDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.state != ArticleDraft.State.PENDING:
        return draft
    draft.state, draft.decided_by, draft.decided_at = ArticleDraft.State.REJECTED, actor, timezone.now()
    draft.save(update_fields=["state", "decided_by", "decided_at"])
    record_audit(actor, "knowledge.draft.reject", draft, {"article": draft.article_id})
    return draft


def max_attachment_bytes() -> int:
    return getattr(settings, "KNOWLEDGE_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)


@transaction.atomic
def add_attachment(
    article: Article, *, name: str, upload: IO[bytes], filename: str, actor: User
) -> Attachment:
    """Attach a file to an article: images, PDF, office documents or plain text, judged by their content.

    Raises :class:`dabai.core.files.RefusedFile` for anything else. The stored name is random with the
    accepted extension, so nothing the uploader chose reaches the file system. A file added to a published
    article by someone who may not publish waits for a publisher before the help centre shows it.
    """
    kind = files.identify(upload, filename, max_bytes=max_attachment_bytes())
    upload.seek(0)
    attachment = Attachment(
        article=article,
        name=name[:200],
        content_type=kind.content_type,
        uploaded_by=actor,
        approved=not article.is_published or policy.can_publish(actor),
    )
    attachment.file.save(f"{secrets.token_hex(8)}.{kind.extensions[0]}", File(upload), save=False)
    attachment.size = attachment.file.size
    attachment.save()
    record_audit(
        actor,
        "knowledge.attachment.add",
        article,
        {"attachment": attachment.pk, "type": kind.name, "approved": attachment.approved},
    )
    return attachment


@transaction.atomic
def approve_attachment(attachment: Attachment, *, actor: User) -> Attachment:
    """A publisher lets a waiting attachment into the help centre."""
    policy.require(policy.can_publish(actor))
    attachment.approved = True
    attachment.save(update_fields=["approved"])
    record_audit(actor, "knowledge.attachment.approve", attachment.article, {"attachment": attachment.pk})
    return attachment


def remove_attachment(attachment: Attachment, *, actor: User) -> None:
    """A publisher removes an attachment; the file goes with it once the removal is committed."""
    policy.require(policy.can_publish(actor))
    stored = attachment.file
    with transaction.atomic():
        record_audit(
            actor,
            "knowledge.attachment.remove",
            attachment.article,
            {"attachment": attachment.pk, "name": attachment.name},
        )
        attachment.delete()
        transaction.on_commit(lambda: stored.storage.delete(stored.name))


def draft_from_conversation(conversation: Conversation, *, actor: User) -> Article:
    """Turn a resolved conversation into a draft: the question and the answer that worked, masked.

    Personal data never reaches an article, even a draft, so every line goes through the filter's mask.
    """
    thread = conversation.messages.exclude(direction=Direction.NOTE).order_by("sent_at", "id")
    questions = [mask(m.body, lenient=True) for m in thread if m.direction == Direction.INBOUND]
    answers = [mask(m.body, lenient=True) for m in thread if m.direction == Direction.OUTBOUND]
    subject = mask(conversation.subject, lenient=True)
    title = subject or (questions[0][:60] if questions else str(conversation))
    body = "\n\n".join(["\n".join(questions), "\n".join(answers)]).strip()
    with transaction.atomic():
        article = save_article(
            actor=actor, title=title, summary=(answers[-1][:300] if answers else ""), body=body
        )
        article.source_conversation = conversation
        article.save(update_fields=["source_conversation"])
    return article


@transaction.atomic
def record_view(article: Article, count: int = 1) -> None:
    """More readers (a help-centre page view or a bot answer): a cheap counter, no row per view."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + count)


def record_feedback(article: Article, *, helpful: bool, source: str = "help", comment: str = "") -> Feedback:
    """A reader says whether the article helped; counters stay cheap to show."""
    counter = "helpful_count" if helpful else "not_helpful_count"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return Feedback.objects.create(article=article, helpful=helpful, source=source, comment=comment[:500])


def add_feedback_comment(feedback: Feedback, comment: str) -> Feedback:
    """What a reader says was missing, kept with their "not helpful" (short, plain text)."""
    feedback.comment = " ".join(str(comment).split())[:500]
    feedback.save(update_fields=["comment"])
    return feedback


def save_synonyms(words: str, *, actor: User, synonym: Synonym | None = None) -> Synonym:
    """Admins keep the groups of words customers use for the same thing (退款 退钱)."""
    synonym = synonym or Synonym()
    synonym.words = " ".join(Synonym(words=words).word_list())[:255]
    synonym.save()
    record_audit(actor, "knowledge.synonym.save", synonym, {"words": synonym.words})
    return synonym


def delete_synonyms(synonym: Synonym, *, actor: User) -> None:
    record_audit(actor, "knowledge.synonym.delete", synonym, {"words": synonym.words})
    synonym.delete()


def topic_of(terms: list[search_index.Term]) -> str:
    """A short, stable label for grouping questions: the two longest content terms, alphabetically."""
    labels = sorted({t.label for t in terms}, key=lambda w: (-len(w), w))[:2]
    return " ".join(sorted(labels))[:100]


def log_search(found: search_index.Search, *, source: str) -> SearchLog:
    """Remember a search; weak or empty ones are content gaps."""
    top_article = None
    if found.hits and found.hits[0].kind == SearchEntry.Kind.ARTICLE:
        top_article = Article.objects.filter(pk=found.hits[0].object_id).first()
    return SearchLog.objects.create(
        query=mask(found.query, lenient=True)[:255],
        topic=topic_of(found.terms) or text.fold(found.query)[:100],
        source=source,
        result_count=len(found.hits),
        top_score=found.confidence,
        top_article=top_article,
        is_gap=found.confidence < GAP_CONFIDENCE,
    )


def _sms_conversation(customer: Customer, conversation: Conversation | None) -> Conversation | None:
    if conversation is not None and conversation.channel == Channel.SMS:
        return conversation
    active = (
        Conversation.objects.filter(
            customer=customer, channel=Channel.SMS, status__in=[Status.OPEN, Status.PENDING]
        )
        .order_by("-last_message_at")
        .first()
    )
    if active is not None:
        return active
    if not customer.identities.filter(channel__in=[Channel.SMS, Channel.PHONE]).exists():
        return None
    return start_conversation(customer, Channel.SMS, subject=gettext("Knowledge SMS"), status=Status.PENDING)


class NoPhoneNumber(Exception):
    """The customer has no phone number we could text."""


def send_article_sms(
    article: Article, *, customer: Customer, actor: User, conversation: Conversation | None = None
) -> Conversation:
    """ "Knowledge SMS": text the customer the article's short link and summary through the SMS channel.

    Uses the customer's open SMS conversation, or starts one (waiting on the customer) so the text is part of
    their history; the SMS channel's sender delivers the reply after commit.
    """
    with transaction.atomic():
        sms = _sms_conversation(customer, conversation)
        if sms is None:
            raise NoPhoneNumber(customer.pk)
        post_reply(sms, actor, article_message(article))
        record_audit(
            actor, "knowledge.article.sms", article, {"conversation": sms.pk, "customer": customer.pk}
        )
    return sms
