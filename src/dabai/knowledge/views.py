"""The knowledge base at the desk: write, version, publish; suggestions and knowledge SMS in conversations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import require_desk_user
from dabai.conversations.views import desk_conversation_or_404
from dabai.core import media
from dabai.core.files import RefusedFile
from dabai.knowledge import policy, selectors, services
from dabai.knowledge.forms import ArticleForm, AttachmentForm, SynonymForm
from dabai.knowledge.models import Article, ArticleDraft, ArticleStatus, Attachment, Synonym

MAX_NUMBER = 2**31 - 1  # the largest id or version number every supported database stores


def _number(value: str | None, *, default: int) -> int:
    """A whole number from a query or form field: ASCII digits that fit the database, else a 400."""
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_NUMBER:
        raise BadRequest("not a number")
    return int(value)


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    require_desk_user(request.user)
    query = request.GET.get("q", "").strip()[:200]
    if query:
        found, hits = selectors.search_articles(query, limit=30, public_only=False)
        services.log_search(found, source="desk")
        articles = [h.article for h in hits]
    else:
        articles = Article.objects.select_related("category").order_by("-updated_at")[:200]
    context = {"articles": articles, "query": query, "can_publish": policy.can_publish(request.user)}
    if context["can_publish"]:
        context["pending_count"] = selectors.pending_drafts().count()
    return render(request, "knowledge/list.html", context)


@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    article = get_object_or_404(Article.objects.select_related("category", "translation_of"), pk=pk)
    can_publish = policy.can_publish(request.user)
    pending = list(selectors.pending_drafts().filter(article=article))
    for draft in pending:
        draft.diff = selectors.draft_diff(draft)
    context = {
        "article": article,
        "versions": article.versions.select_related("author")[:50],
        "can_publish": can_publish,
        "pending_drafts": pending,
        "attachment_form": AttachmentForm(),
    }
    return render(request, "knowledge/detail.html", context)


@login_required
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_desk_user(request.user)
    article = get_object_or_404(Article, pk=pk) if pk else None
    initial = {}
    if article is not None:
        initial = {
            "title": article.title,
            "summary": article.summary,
            "body": article.body,
            "category": article.category_id,
            "language": article.language,
            "translation_of": article.translation_of_id,
            "tags": ", ".join(article.tags.values_list("name", flat=True)),
            "related": list(article.related.values_list("pk", flat=True)),
        }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "title": data["title"],
            "summary": data["summary"],
            "body": data["body"],
            "category": data["category"],
            "language": data["language"],
            "translation_of": data["translation_of"],
            "tags": form.tag_list(),
        }
        if article is None:
            saved = services.save_article(actor=request.user, **fields)
            services.set_related(saved, list(data["related"]))
        else:
            saved = services.edit_article(
                actor=request.user, article=article, related=list(data["related"]), **fields
            )
        if isinstance(saved, ArticleDraft):
            messages.success(
                request,
                _("Your change was saved as a draft; the help centre shows it once a publisher approves it."),
            )
            return redirect("knowledge:detail", pk=saved.article_id)
        messages.success(request, _("Saved as version %(number)s.") % {"number": saved.version})
        return redirect("knowledge:detail", pk=saved.pk)
    context = {
        "form": form,
        "article": article,
        "needs_review": article is not None and article.is_published and not policy.can_publish(request.user),
    }
    return render(request, "knowledge/edit.html", context)


@login_required
def drafts(request: HttpRequest) -> HttpResponse:
    """Publishers: every draft of a published article that waits for review."""
    require_desk_user(request.user)
    policy.require(policy.can_publish(request.user))
    return render(request, "knowledge/drafts.html", {"drafts": selectors.pending_drafts()})


@login_required
@require_POST
def draft_decide(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    policy.require(policy.can_publish(request.user))
    draft = get_object_or_404(ArticleDraft, pk=pk)
    decision = request.POST.get("decision")
    if decision == "publish":
        article = services.publish_draft(draft, actor=request.user)
        messages.success(request, _("Published as version %(number)s.") % {"number": article.version})
    elif decision == "reject":
        services.reject_draft(draft, actor=request.user)
        messages.success(request, _("The draft was rejected."))
    return redirect("knowledge:detail", pk=draft.article_id)


@login_required
@require_POST
def article_status(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    policy.require(policy.can_publish(request.user))
    article = get_object_or_404(Article, pk=pk)
    status = request.POST.get("status")
    if status in ArticleStatus.values:
        services.set_article_status(article, status, actor=request.user)
    return redirect("knowledge:detail", pk=pk)


@login_required
def article_diff(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    article = get_object_or_404(Article, pk=pk)
    new = _number(request.GET.get("new"), default=article.version)
    old = _number(request.GET.get("old"), default=max(new - 1, 0))
    lines = selectors.version_diff(article, old, new)
    return render(
        request, "knowledge/diff.html", {"article": article, "lines": lines, "old": old, "new": new}
    )


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    article = get_object_or_404(Article, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("The attachment needs a name and a file."), extra_tags="attachment-error")
        return redirect("knowledge:detail", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        attachment = services.add_attachment(
            article, name=form.cleaned_data["name"], upload=upload, filename=upload.name, actor=request.user
        )
    except RefusedFile as exc:
        messages.error(request, " ".join(exc.messages), extra_tags="attachment-error")
    else:
        if not attachment.approved:
            messages.success(
                request, _("The attachment appears in the help centre once a publisher approves it.")
            )
    return redirect("knowledge:detail", pk=pk)


@login_required
@require_POST
def attachment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Publishers approve a waiting attachment or remove one."""
    require_desk_user(request.user)
    policy.require(policy.can_publish(request.user))
    attachment = get_object_or_404(Attachment, pk=pk)
    decision = request.POST.get("decision")
    if decision == "approve":
        services.approve_attachment(attachment, actor=request.user)
    elif decision == "remove":
        services.remove_attachment(attachment, actor=request.user)
    return redirect("knowledge:detail", pk=attachment.article_id)


def attachment_file(request: HttpRequest, name: str) -> HttpResponse:
    """``/media/knowledge/…``: the file of a published article for anyone, of any article for the desk."""
    attachment = selectors.readable_attachment(media.stored_name(f"knowledge/{name}"), request.user)
    if attachment is None:
        raise Http404
    return media.send(request, attachment.file, download_name=attachment.download_name)


@login_required
@require_POST
def from_conversation(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    require_desk_user(request.user)
    conversation = desk_conversation_or_404(request, conversation_pk)
    article = services.draft_from_conversation(conversation, actor=request.user)
    messages.success(request, _("Draft article created from the conversation; check it before publishing."))
    return redirect("knowledge:edit", pk=article.pk)


@login_required
def suggestions(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    """The desk's suggestions panel (htmx), for conversations the agent may open."""
    require_desk_user(request.user)
    conversation = desk_conversation_or_404(request, conversation_pk)
    return render(
        request,
        "knowledge/_suggestions.html",
        {"conversation": conversation, "knowledge_suggestions": selectors.suggestions_for(conversation)},
    )


@login_required
@require_POST
def article_sms(request: HttpRequest, pk: int) -> HttpResponse:
    """Knowledge SMS: text the conversation's customer the article's short link and summary."""
    require_desk_user(request.user)
    article = get_object_or_404(Article, pk=pk, status=ArticleStatus.PUBLISHED)
    conversation = desk_conversation_or_404(request, _number(request.POST.get("conversation"), default=0))
    try:
        sms = services.send_article_sms(
            article, customer=conversation.customer, actor=request.user, conversation=conversation
        )
    except services.NoPhoneNumber:
        messages.error(request, _("This customer has no mobile number to text."))
        return redirect("desk:detail", pk=conversation.pk)
    messages.success(request, _("The article was sent by SMS."))
    return redirect("desk:detail", pk=sms.pk)


@login_required
def synonyms(request: HttpRequest) -> HttpResponse:
    require_desk_user(request.user)
    policy.require(policy.can_edit_synonyms(request.user))
    form = SynonymForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.save_synonyms(form.cleaned_data["words"], actor=request.user)
        return redirect("knowledge:synonyms")
    return render(
        request, "knowledge/synonyms.html", {"form": form, "groups": Synonym.objects.order_by("words")}
    )


@login_required
@require_POST
def synonym_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    policy.require(policy.can_edit_synonyms(request.user))
    services.delete_synonyms(get_object_or_404(Synonym, pk=pk), actor=request.user)
    return redirect("knowledge:synonyms")


@login_required
def gaps(request: HttpRequest) -> HttpResponse:
    require_desk_user(request.user)
    policy.require(policy.can_publish(request.user))
    return render(request, "knowledge/gaps.html", {"gaps": selectors.content_gaps()})
