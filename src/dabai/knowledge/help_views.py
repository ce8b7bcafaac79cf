"""The public help centre: no login, published articles only, zh-hans first with English."""

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.knowledge import selectors, services
from dabai.knowledge.models import Article, ArticleStatus, Category

MAX_QUERY = 200
FEEDBACK_SALT = "dabai.help.feedback"
FEEDBACK_TOKEN_AGE = 24 * 3600


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-hans"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "help/home.html", {"categories": selectors.help_categories(_language())})


def category(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Category, slug=slug)
    articles = selectors.category_articles(found, _language())
    return render(request, "help/category.html", {"category": found, "articles": articles})


def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.readable_article(slug)
    if found is None:
        raise Http404
    services.record_view(found)
    context = {
        "article": found,
        "translations": selectors.translations_of(found),
        "related": selectors.related_articles(found),
    }
    return render(request, "help/article.html", context)


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    hits = []
    if query:
        found, hits = selectors.search_articles(query)
        services.log_search(found, source="help")
    return render(request, "help/search.html", {"query": query, "hits": hits})


def suggest(request: HttpRequest) -> HttpResponse:
    """Suggestions while typing (htmx): titles only, not logged (half-typed words are not questions)."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    hits = selectors.search_articles(query, limit=5)[1] if query else []
    return render(request, "help/_suggestions.html", {"hits": hits, "query": query})


@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.readable_article(slug)
    if found is None:
        raise Http404
    helpful = request.POST.get("helpful") == "yes"
    given = services.record_feedback(found, helpful=helpful, comment=request.POST.get("comment", ""))
    if helpful or given.comment:
        if request.htmx:
            return render(request, "help/_feedback_thanks.html", {"helpful": helpful})
        messages.success(request, _("Thank you for your feedback."))
        return redirect("help:article", slug=slug)
    # "Not helpful" counts at once; then we ask what was missing (the answer joins the same feedback).
    context = {"article": found, "token": signing.dumps(given.pk, salt=FEEDBACK_SALT)}
    return render(
        request, "help/_feedback_missing.html" if request.htmx else "help/feedback_missing.html", context
    )


@require_POST
def feedback_comment(request: HttpRequest, slug: str) -> HttpResponse:
    """What was missing from an article a reader found unhelpful, joined to their "no" by a signed token."""
    found = selectors.readable_article(slug)
    if found is None:
        raise Http404
    try:
        pk = signing.loads(request.POST.get("token", ""), salt=FEEDBACK_SALT, max_age=FEEDBACK_TOKEN_AGE)
    except signing.BadSignature:
        return HttpResponse(_("This form has expired. Please reload the article."), status=400)
    given = selectors.feedback_on(found, pk)
    if given is None:
        raise Http404
    services.add_feedback_comment(given, request.POST.get("comment", ""))
    if request.htmx:
        return render(request, "help/_feedback_thanks.html", {"helpful": False})
    messages.success(request, _("Thank you. We will improve this article."))
    return redirect("help:article", slug=slug)


def short(request: HttpRequest, code: str) -> HttpResponse:
    try:
        pk = int(code, 36)
    except ValueError as exc:
        raise Http404 from exc
    found = get_object_or_404(Article, pk=pk, status=ArticleStatus.PUBLISHED)
    return redirect("help:article", slug=found.slug)
