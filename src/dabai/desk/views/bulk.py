"""Bulk actions on the conversations selected in the list (assign, status, tag, close). Thin."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import require_desk_user
from dabai.desk import selectors, services
from dabai.desk.forms import BulkForm
from dabai.desk.views.workspace import list_context


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected conversations; the list comes back with what happened above it."""
    require_desk_user(request.user)
    form = BulkForm(request.POST)
    notice, ok = "", False
    if not form.is_valid():
        notice = _("Select conversations and an action first.")
    else:
        data = form.cleaned_data
        try:
            result = services.bulk_apply(
                request.user,
                data["ids"],
                data["action"],
                assignee=data.get("assignee"),
                status=data.get("to_status") or "",
                tag=data.get("tag") or "",
            )
        except services.BulkRefused:
            notice = _("This action needs a value: choose a status or write a tag.")
        else:
            ok = True
            notice = ngettext("%(n)d conversation updated.", "%(n)d conversations updated.", result.done) % {
                "n": result.done
            }
            if result.skipped:
                notice += " " + _("%(n)d left unchanged: not yours to change.") % {"n": result.skipped}
    if not request.htmx:
        (flash.success if ok else flash.error)(request, notice)
        return redirect("desk:inbox")
    filters = selectors.DeskFilters.from_query(request.POST)
    context = list_context(request, filters) | {"bulk_notice": notice, "bulk_ok": ok}
    return render(request, "desk/_inbox_list.html", context)
