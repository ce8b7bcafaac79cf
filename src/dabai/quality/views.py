"""Quality pages: the supervisors' outcome report (+ CSV), the conversations behind any report figure, the
floor's wall display, an agent's own outcomes, the public survey page.

Thin by design: permissions from ``dabai.quality.policy``, figures from selectors, changes through services.
"""

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from dabai.accounts.permissions import visible_conversations
from dabai.accounts.services import record_audit
from dabai.conversations.models import Conversation
from dabai.core import csvsafe
from dabai.core.csvsafe import csv_response
from dabai.filter import mask
from dabai.quality import figures, selectors, services
from dabai.quality.forms import RangeForm, SurveyForm
from dabai.quality.models import SurveyStatus
from dabai.quality.policy import require_own_outcomes_reader, require_report_reader

DEFAULT_DAYS = 30


def _range(request: HttpRequest) -> tuple[RangeForm, date, date, str]:
    """The report's dates and grouping from the query string; a malformed or reversed range is a 400."""
    form = RangeForm(request.GET or None)
    if request.GET and not form.is_valid():
        raise BadRequest("invalid date range")
    data = form.cleaned_data if request.GET else {}
    end = data.get("end") or timezone.localdate()
    start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end or (end - start).days >= selectors.MAX_DAYS:
        raise BadRequest("the range must run forwards and span at most a year")
    group = data.get("group") or "team"
    form = RangeForm(initial={"start": start, "end": end, "group": group})
    return form, start, end, group


@login_required
def report(request: HttpRequest) -> HttpResponse:
    require_report_reader(request.user)
    form, start, end, group = _range(request)
    outcomes = selectors.outcomes_between(start, end)
    comments = [
        {"survey": s, "text": mask(s.comment, lenient=True)} for s in selectors.recent_comments(outcomes)
    ]
    return render(
        request,
        "quality/report.html",
        {
            "form": form,
            "group": group,
            "group_label": dict(form.fields["group"].choices)[group],
            "start": start,
            "end": end,
            "rows": selectors.report(group, outcomes),
            "overall": selectors.overall(outcomes),
            "comments": comments,
            "chart": _outcome_chart(outcomes),
            "drill_base": _drill(group=group, start=start, end=end),
            "drill_all": _drill(group="", start=start, end=end),
        },
    )


def _drill(**params) -> str:
    """The conversations behind an outcome figure: this base plus the figure's key and metric."""
    return reverse("quality:conversations") + "?" + urlencode({"source": "outcome", **params})


def _outcome_chart(outcomes) -> dict:
    daily = selectors.by_day(outcomes)
    return {
        "labels": [day.isoformat() for day in daily["days"]],
        "series": [
            {
                "name": line["name"],
                "data": line["points"],
                "drill": [_drill(group="", start=d, end=d, metric=line["metric"]) for d in daily["days"]],
            }
            for line in daily["series"]
        ],
    }


@login_required
def report_csv(request: HttpRequest) -> HttpResponse:
    """The report as CSV (figures and names only; formula-safe cells); exports are audited."""
    require_report_reader(request.user)
    _form, start, end, group = _range(request)
    outcomes = selectors.outcomes_between(start, end)
    response = csv_response(f"dabai-quality-{group}-{start}-{end}")
    writer = csvsafe.writer(response)
    writer.writerow(
        [
            "group",
            "closed",
            "fcr_percent",
            "reopen_percent",
            "bot_contained_percent",
            "csat_average",
            "csat_satisfied_percent",
            "csat_answers",
            "effort_average",
            "effort_answers",
            "first_response_business_seconds",
            "resolution_business_seconds",
        ]
    )
    for f in [*selectors.report(group, outcomes), selectors.overall(outcomes)]:
        writer.writerow(
            [
                f.label,
                f.total,
                f.fcr_rate,
                f.reopen_rate,
                f.contained_rate,
                _round(f.csat_avg),
                f.csat_satisfied,
                f.csat_count,
                _round(f.effort_avg),
                f.effort_count,
                _round(f.first_response, 0),
                _round(f.resolution, 0),
            ]
        )
    record_audit(
        request.user,
        "quality.report_export",
        request.user,
        {"group": group, "start": str(start), "end": str(end)},
        request=request,
    )
    return response


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """An agent's own outcomes: their figures and their latest conversations, with the customer's rating."""
    require_own_outcomes_reader(request.user)
    form, start, end, _group = _range(request)
    outcomes = selectors.outcomes_between(start, end)
    rows = selectors.own_outcomes(request.user, outcomes)
    for outcome in rows:
        survey = getattr(outcome.conversation, "survey", None)
        outcome.comment = mask(survey.comment, lenient=True) if survey and survey.comment else ""
    return render(
        request,
        "quality/mine.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "figures": selectors.overall(outcomes.filter(agent=request.user)),
            "outcomes": rows,
            "reviews": selectors.reviews_of(request.user),
        },
    )


@never_cache
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's one-time survey page (public: the signed token is the key)."""
    found = services.survey_for_token(token)
    if found is None:
        raise Http404
    closed = found.status == SurveyStatus.ANSWERED or found.expires_at < timezone.now()
    if closed:
        return render(request, "quality/survey_done.html", {"already": True}, status=410)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_survey(
                found,
                rating=form.cleaned_data["rating"],
                effort=form.cleaned_data["effort"],
                comment=form.cleaned_data["comment"],
            )
        except services.SurveyClosed:
            return render(request, "quality/survey_done.html", {"already": True}, status=410)
        return render(request, "quality/survey_done.html", {"already": False})
    return render(request, "quality/survey.html", {"form": form})


@login_required
def conversations(request: HttpRequest) -> HttpResponse:
    """The conversations behind a report figure (an SLA rate, a breach count, a satisfaction average…), only
    those this reader may open; names masked as the desk shows them."""
    require_report_reader(request.user)
    drill = figures.read_drill(request.GET)
    rows, total = figures.listed(visible_conversations(request.user, Conversation.objects.all()), drill)
    record_audit(
        request.user, "quality.report_drill", request.user, {"query": drill.query[:500]}, request=request
    )
    return render(
        request,
        "quality/conversations.html",
        {"drill": drill, "rows": rows, "total": total, "until": drill.until - timedelta(days=1)},
    )


@login_required
def wall(request: HttpRequest) -> HttpResponse:
    """The floor's wall display: a few large figures, dark, refreshed by htmx polling (no inline script)."""
    require_report_reader(request.user)
    return render(request, "quality/wall.html", {"wall": figures.wall()})


@login_required
def wall_figures(request: HttpRequest) -> HttpResponse:
    require_report_reader(request.user)
    return render(request, "quality/_wall_figures.html", {"wall": figures.wall()})
