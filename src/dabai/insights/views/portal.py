"""The portal's front page (news, what is emerging, the topics one's department follows) and dashboards."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dabai.accounts.permissions import is_voc_editor
from dabai.insights import bursts, dashboards, emerging, selectors
from dabai.insights.models import NewsItem, NewsRead, Topic
from dabai.insights.views.access import require_voc_reader

FRONT_NEWS = 5


def news_with_reads(user, limit: int | None = None):
    """News items with their unique readers and whether *user* read them (one query)."""
    items = NewsItem.objects.annotate(
        read_count=Count("reads", distinct=True),
        unread=~Exists(NewsRead.objects.filter(news=OuterRef("pk"), reader=user)),
    ).select_related("author")
    return items[:limit] if limit else items


def followed_topics(user):
    if not user.department_id:
        return Topic.objects.none()
    return Topic.objects.filter(follows__department_id=user.department_id).order_by("name")


@login_required
def front(request: HttpRequest) -> HttpResponse:
    """News, the stored emerging issues of the latest daily run, followed topics and the topic trend."""
    require_voc_reader(request.user)
    run = emerging.latest_run()
    return render(
        request,
        "insights/front.html",
        {
            "run": run,
            "rises": emerging.shown_rises(run, limit=10),
            "bursts": bursts.recent(),
            "news": news_with_reads(request.user, FRONT_NEWS),
            "followed": followed_topics(request.user),
            "is_editor": is_voc_editor(request.user),
            "section": "front",
        },
    )


@login_required
def burst(request: HttpRequest, pk: int) -> HttpResponse:
    """A social-media rise: the public posts it counted, masked, and the cases they opened."""
    require_voc_reader(request.user)
    rise, posts = bursts.mentions(pk)
    if rise is None:
        raise Http404
    return render(request, "insights/burst.html", {"rise": rise, "posts": posts, "section": "front"})


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    require_voc_reader(request.user)
    filters = selectors.CaseFilters.from_query(request.GET)
    charts = [
        {"name": name, "title": title, "url": reverse(f"insights:chart_{name}")}
        for name, title in dashboards.titles().items()
    ]
    return render(
        request,
        "insights/dashboards.html",
        {
            "filters": filters,
            "query_string": filters.query_string(),
            "charts": charts,
            "span": dashboards.windows(filters),
            "section": "dashboards",
        },
    )


@login_required
@require_GET
def chart_data(request: HttpRequest, chart: str) -> JsonResponse:
    """One chart's data (JSON) for the case library's filters in the query string: one grouped query."""
    require_voc_reader(request.user)
    if chart not in dashboards.CHARTS:
        raise Http404
    filters = selectors.CaseFilters.from_query(request.GET)
    payload = dashboards.chart(chart, filters)
    payload["cases_url"] = reverse("insights:cases")
    return JsonResponse(payload)
