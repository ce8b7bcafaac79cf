"""Routing pages: the supervisor's dashboard, complaint cases, SLA reports and CSV export. Thin by design."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.models import User
from dabai.accounts.permissions import require_desk_user
from dabai.accounts.services import record_audit
from dabai.core import csvsafe
from dabai.core.csvsafe import csv_response
from dabai.core.params import query_int
from dabai.filter import mask
from dabai.routing import selectors, services
from dabai.routing.models import AgentState, ComplaintCase, ComplaintStage
from dabai.routing.policy import may_set_state_of, may_work_on_complaint, require_routing_manager


def _days(request: HttpRequest) -> int:
    """The report's window in days; a malformed value is a 400 (the selector clamps it to a year)."""
    return query_int(request, "days", 30)


def _group(request: HttpRequest) -> str:
    group = request.GET.get("group", "channel")
    return group if group in selectors.GROUPS else "channel"


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    require_routing_manager(request.user)
    return render(
        request,
        "routing/dashboard.html",
        {
            "calendar_warnings": selectors.calendar_warnings(),
            "seats": selectors.agent_seats(),
            "states": AgentState.choices,
            "queue_size": selectors.queue_size(),
            "last_sweep": selectors.last_sweep(),
            "complaints": selectors.open_complaints()[:20],
            "breaches": selectors.recent_breaches(20),
            "decisions": selectors.recent_decisions(20),
        },
    )


@login_required
@require_POST
def set_state(request: HttpRequest, user_id: int) -> HttpResponse:
    require_desk_user(request.user)
    agent = get_object_or_404(User, pk=user_id)
    if not may_set_state_of(request.user, agent):
        raise PermissionDenied
    state = request.POST.get("state", "")
    if state not in AgentState.values:
        messages.error(request, _("Unknown state."))
    else:
        moved = services.set_agent_state(agent, state, actor=request.user)
        messages.success(
            request,
            _("%(agent)s is now %(state)s; %(n)d conversations reassigned.")
            % {"agent": agent, "state": AgentState(state).label, "n": moved},
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "desk:inbox"
    return redirect(target)


@login_required
def complaints(request: HttpRequest) -> HttpResponse:
    require_desk_user(request.user)
    return render(
        request,
        "routing/complaints.html",
        {
            "cases": selectors.complaints_for(request.user),
            "stages": ComplaintStage.choices,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def complaint_stage(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk_user(request.user)
    case = get_object_or_404(ComplaintCase, pk=pk)
    if not may_work_on_complaint(request.user, case):
        raise Http404
    try:
        services.advance_complaint(case, request.POST.get("stage", ""), actor=request.user)
    except ValueError:
        messages.error(request, _("A case only moves forward, one stage after another or more."))
    return redirect("routing:complaints")


MAX_IMPORT_BYTES = 5 * 1024 * 1024


@login_required
def tiers(request: HttpRequest) -> HttpResponse:
    """Tier rules at a glance, re-tiering by rule, and a CSV import whose bad rows come back by line."""
    require_routing_manager(request.user)
    result = None
    if request.method == "POST":
        if request.POST.get("action") == "apply":
            changed = services.apply_tier_rules()
            messages.success(request, _("%(n)d customers re-tiered by the rules.") % {"n": changed})
            return redirect("routing:tiers")
        upload = request.FILES.get("file")
        if upload is None or upload.size > MAX_IMPORT_BYTES:
            messages.error(request, _("Choose a CSV file of at most 5 MB."))
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                messages.error(request, _("The file is not UTF-8 text."))
            else:
                result = services.import_tiers(text, actor=request.user)
    return render(request, "routing/tiers.html", {"policies": selectors.tier_policies(), "result": result})


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    require_routing_manager(request.user)
    group = _group(request)
    days = _days(request)
    since = selectors.report_since(days)
    return render(
        request,
        "routing/reports.html",
        {
            "group": group,
            "days": days,
            "rows": selectors.attainment(group, since),
            "breaches": selectors.recent_breaches(100),
            "decisions": selectors.recent_decisions(100),
        },
    )


@login_required
def report_csv(request: HttpRequest, kind: str) -> HttpResponse:
    """CSV export: free text is masked leniently because the file leaves the agent's desk, and every cell goes
    through the formula-safe writer."""
    require_routing_manager(request.user)
    if kind not in {"attainment", "breaches", "decisions"}:
        raise Http404
    response = csv_response(f"dabai-{kind}")
    writer = csvsafe.writer(response)
    if kind == "attainment":
        group, since = _group(request), selectors.report_since(_days(request))
        writer.writerow(["day", group, "met", "total", "rate_percent"])
        for row in selectors.attainment(group, since):
            writer.writerow([row["day"], row["group"], row["met"], row["total"], row["rate"]])
    elif kind == "breaches":
        writer.writerow(["at", "conversation", "channel", "kind", "reason", "escalated_to"])
        for b in selectors.recent_breaches(10_000):
            writer.writerow(
                [
                    b.at.isoformat(),
                    b.conversation_id,
                    b.clock.channel,
                    b.clock.kind,
                    mask(b.reason, lenient=True),
                    str(b.escalated_to or ""),
                ]
            )
    elif kind == "decisions":
        writer.writerow(["at", "conversation", "agent", "rule", "reason"])
        for d in selectors.recent_decisions(10_000):
            row = [
                d.at.isoformat(),
                d.conversation_id,
                str(d.agent or ""),
                d.rule,
                mask(d.reason, lenient=True),
            ]
            writer.writerow(row)
    record_audit(request.user, "routing.report_export", request.user, {"kind": kind}, request=request)
    return response
