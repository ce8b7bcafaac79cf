from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dabai.accounts.permissions import is_department_member, is_supervisor
from dabai.accounts.services import record_audit
from dabai.insights import selectors


def _require_voc_reader(user) -> None:
    if not (is_department_member(user) or is_supervisor(user)):
        raise PermissionDenied


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    _require_voc_reader(request.user)
    page = Paginator(selectors.case_list(), 25).get_page(request.GET.get("page", 1))
    return render(request, "insights/cases.html", {"page": page, "cases": selectors.masked_previews(page)})


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_voc_reader(request.user)
    found = selectors.masked_case(pk)
    if found is None:
        raise Http404
    conversation, messages = found
    record_audit(request.user, "case.view", conversation, request=request)
    return render(request, "insights/case_detail.html", {"case": conversation, "messages_": messages})
