"""Centre news: written by VoC editors, read by everyone on the portal (each reader counted once)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import is_voc_editor
from dabai.insights import services
from dabai.insights.models import NewsItem
from dabai.insights.views.access import require_voc_editor, require_voc_reader
from dabai.insights.views.portal import news_with_reads


@login_required
def news_list(request: HttpRequest) -> HttpResponse:
    require_voc_reader(request.user)
    return render(
        request,
        "insights/news_list.html",
        {
            "news": news_with_reads(request.user, 100),
            "is_editor": is_voc_editor(request.user),
            "section": "news",
        },
    )


@login_required
def news_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_voc_reader(request.user)
    item = get_object_or_404(NewsItem, pk=pk)
    services.read_news(request.user, item)
    return render(
        request,
        "insights/news_detail.html",
        {
            "item": item,
            "read_count": item.reads.count(),
            "is_editor": is_voc_editor(request.user),
            "section": "news",
        },
    )


def _form(request: HttpRequest, item: NewsItem | None) -> HttpResponse:
    form = {
        "title": item.title if item else "",
        "body": item.body if item else "",
        "pinned": bool(item and item.is_pinned),
    }
    if request.method == "POST":
        form = {
            "title": request.POST.get("title", ""),
            "body": request.POST.get("body", ""),
            "pinned": request.POST.get("pinned") == "1",
        }
        try:
            if item is None:
                item = services.publish_news(request.user, form["title"], form["body"], pinned=form["pinned"])
            else:
                services.edit_news(request.user, item, form["title"], form["body"], pinned=form["pinned"])
        except ValueError:
            messages.error(request, _("News needs a title and a text."))
        else:
            return redirect("insights:news_item", pk=item.pk)
    return render(request, "insights/news_form.html", {"form": form, "item": item, "section": "news"})


@login_required
def news_new(request: HttpRequest) -> HttpResponse:
    require_voc_editor(request.user)
    return _form(request, None)


@login_required
def news_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_voc_editor(request.user)
    return _form(request, get_object_or_404(NewsItem, pk=pk))


@login_required
@require_POST
def news_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_voc_editor(request.user)
    services.delete_news(request.user, get_object_or_404(NewsItem, pk=pk))
    messages.success(request, _("News deleted."))
    return redirect("insights:news")
