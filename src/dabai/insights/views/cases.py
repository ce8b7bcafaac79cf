"""The case library: search with facets, the masked case page, exports, share links and saved searches."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import is_voc_editor, may_hear_recordings
from dabai.core import csvsafe
from dabai.insights import selectors, services
from dabai.insights.views.access import require_voc_reader as _require_voc_reader


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    _require_voc_reader(request.user)
    filters = selectors.CaseFilters.from_query(request.GET)
    counted = selectors.count(filters)  # facets, total and trend: the matching cases are selected once
    page, rows, total = selectors.results(filters, request.GET.get("page", 1), counted=counted)
    rise = selectors.weekly_rise(counted.weekly)
    return render(
        request,
        "insights/cases.html",
        {
            "filters": filters,
            "query_string": filters.query_string(),
            "page": page,
            "cases": rows,
            "total": total,
            "facets": counted.facets,
            "chart": selectors.chart_payload(counted.weekly),
            "rise": rise,
            "rise_p": selectors.p_value_text(rise),
            "saved": selectors.saved_searches(request.user),
            "section": "cases",
        },
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    _require_voc_reader(request.user)
    filters = selectors.CaseFilters.from_query(request.GET)
    rows = selectors.export_rows(
        filters, lambda pk: request.build_absolute_uri(reverse("insights:case", args=[pk]))
    )
    services.record_export(request.user, len(rows), filters.query_string(), request=request)
    response = csvsafe.csv_response("voc-cases")
    writer = csvsafe.writer(response)
    writer.writerow(selectors.export_header())
    writer.writerows(rows)
    return response


def _case_page(request: HttpRequest, pk: int, *, share_token: str = "") -> HttpResponse:
    found = selectors.case(pk)
    if found is None:
        raise Http404
    conversation = found.conversation
    thread = selectors.masked_thread(conversation, with_recordings=may_hear_recordings(request.user))
    shared = request.GET.get("shared", "")
    share_link = ""
    if shared:
        share = selectors.share(shared)
        if share is not None and share.conversation_id == pk and share.shared_by_id == request.user.pk:
            share_link = request.build_absolute_uri(reverse("insights:shared", args=[share.token]))
    return render(
        request,
        "insights/case_detail.html",
        {
            "case": found,
            "badges": {
                "intent": selectors.value_label("intent", found.intent) if found.intent else "",
                "voice": selectors.value_label("voice", found.voice) if found.voice else "",
                "sentiment": selectors.value_label("sentiment", found.sentiment) if found.sentiment else "",
                "channel": selectors.value_label("channel", found.channel),
                "tier": selectors.value_label("tier", found.tier) if found.tier else "",
            },
            "messages_": thread,
            "share_link": share_link,
            "via_share": share_token,
            "is_editor": is_voc_editor(request.user),
            "section": "cases",
        },
    )


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_voc_reader(request.user)
    response = _case_page(request, pk)
    services.record_case_view(request.user, selectors.case(pk).conversation, request=request)
    return response


@login_required
def shared(request: HttpRequest, token: str) -> HttpResponse:
    _require_voc_reader(request.user)
    share = selectors.share(token)
    if share is None:
        raise Http404
    response = _case_page(request, share.conversation_id, share_token=token)
    services.open_share(request.user, share, request=request)
    return response


@login_required
@require_POST
def share(request: HttpRequest, pk: int) -> HttpResponse:
    _require_voc_reader(request.user)
    found = selectors.case(pk)
    if found is None:
        raise Http404
    made = services.share_case(
        request.user, found.conversation, request.POST.get("note", ""), request=request
    )
    return redirect(f"{reverse('insights:case', args=[pk])}?shared={made.token}")


@login_required
@require_POST
def save_search(request: HttpRequest) -> HttpResponse:
    _require_voc_reader(request.user)
    saved = services.save_search(request.user, request.POST.get("name", ""), dict(request.POST.lists()))
    return redirect(f"{reverse('insights:cases')}?{saved.query_string}")


@login_required
@require_POST
def delete_search(request: HttpRequest, pk: int) -> HttpResponse:
    _require_voc_reader(request.user)
    if not services.delete_search(request.user, pk):
        raise Http404
    return redirect("insights:cases")
