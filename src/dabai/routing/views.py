"""Routing pages: the supervisor's dashboard, complaint cases, SLA reports and CSV export. Thin by design."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from dabai.accounts.models import User
from dabai.accounts.permissions import require_desk_user
from dabai.accounts.services import record_audit
from dabai.core import csvsafe
from dabai.core.csvsafe import csv_response
from dabai.core.params import query_int
from dabai.filter import mask
from dabai.replies.labels import INTENT
from dabai.routing import selectors, services
from dabai.routing.models import AgentState, ClockKind, ComplaintCase, ComplaintStage
from dabai.routing.policy import may_set_state_of, may_work_on_complaint, require_routing_manager
from dabai.routing.selectors import reports as rs

GROUP_LABELS = [
    ("channel", _lazy("By channel")),
    ("team", _lazy("By team")),
    ("agent", _lazy("By agent")),
    ("tier", _lazy("By tier")),
]


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


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in ClockKind.values else ""


def _report_group(request: HttpRequest) -> str:
    group = request.GET.get("group", "channel")
    return group if group in rs.REPORT_GROUPS else "channel"


def _drill(**params) -> str:
    """The list of conversations behind a figure (quality's drill-down page)."""
    return reverse("quality:conversations") + "?" + urlencode({"source": "sla", **params})


def _chart(group: str, kind: str, days: int, clocks) -> dict:
    """The attainment chart's data for ECharts: a line per group, a point per day, each point's drill URL."""
    by_day = rs.attainment_by_day(group, clocks)
    return {
        "labels": [day.isoformat() for day in by_day["days"]],
        "series": [
            {
                "name": line["name"],
                "data": [round(100 * p[0] / p[1], 1) if p else None for p in line["points"]],
                "counts": [p[1] if p else 0 for p in line["points"]],
                "drill": [
                    _drill(group=group, key=_key(line["key"]), kind=kind, days=days, day=day.isoformat())
                    for day in by_day["days"]
                ],
            }
            for line in by_day["series"]
        ],
    }


def _key(value) -> str:
    return "" if value is None else str(value)


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    """The SLA report: attainment per channel, team, agent or tier and per day (chart), breaches with the
    customer, channel, agent and reason in words, routing decisions explained; every figure drills down."""
    require_routing_manager(request.user)
    group, kind, days = _report_group(request), _kind(request), _days(request)
    since, until = rs.period(days)
    clocks = rs.ended_clocks(since, until, kind)
    rows = rs.attainment_by(group, clocks)
    topics = {key: str(label) for key, label in INTENT.items()}
    decisions = [(d, rs.explain_decision(d, topics)) for d in rs.decisions_between(since, until)]
    return render(
        request,
        "routing/reports.html",
        {
            "group": group,
            "kind": kind,
            "days": days,
            "since": since,
            "until": until - timedelta(days=1),
            "groups": GROUP_LABELS,
            "kinds": ClockKind.choices,
            "rows": [(row, _drill(group=group, key=_key(row.key), kind=kind, days=days)) for row in rows],
            "overall": rs.attainment_overall(clocks),
            "overall_drill": _drill(group="", kind=kind, days=days),
            "chart": _chart(group, kind, days, clocks),
            "breaches": rs.breaches_between(since, until),
            "decisions": decisions,
        },
    )


@login_required
def report_csv(request: HttpRequest, kind: str) -> HttpResponse:
    """CSV export of what the report shows: names, not codes; free text masked leniently because the file
    leaves the agent's desk; every cell through the formula-safe writer; audited."""
    require_routing_manager(request.user)
    if kind not in {"attainment", "sla", "breaches", "decisions"}:
        raise Http404
    response = csv_response(f"dabai-{kind}")
    writer = csvsafe.writer(response)
    days = _days(request)
    since, until = rs.period(days)
    if kind == "attainment":
        group = _group(request)
        writer.writerow(["day", group, "met", "total", "rate_percent"])
        for row in rs.attainment(group, rs.report_since(days)):
            writer.writerow([row["day"], row["group"], row["met"], row["total"], row["rate"]])
    elif kind == "sla":
        group, clock_kind = _report_group(request), _kind(request)
        clocks = rs.ended_clocks(since, until, clock_kind)
        writer.writerow([group, "met", "breached", "conversations", "rate_percent"])
        for row in [
            *rs.attainment_by(group, clocks),
            rs.attainment_overall(clocks),
        ]:
            writer.writerow([row.label, row.met, row.breached, row.total, row.rate])
    elif kind == "breaches":
        writer.writerow(
            [
                "at",
                "conversation",
                "customer",
                "channel",
                "agent",
                "reason",
                "escalated_to",
                "recorded_reason",
            ]
        )
        for line in rs.breaches_between(since, until, 10_000):
            clock, breach = line.clock, line.breach
            writer.writerow(
                [
                    timezone.localtime(clock.due_at).isoformat() if clock.due_at else "",
                    clock.conversation_id,
                    rs.customer_label(clock.conversation.customer.display_name),
                    clock.get_channel_display(),
                    str(clock.conversation.assignee or ""),
                    line.reason,
                    str(breach.escalated_to or "") if breach else "",
                    mask(breach.reason, lenient=True) if breach else "",
                ]
            )
    elif kind == "decisions":
        topics = {key: str(label) for key, label in INTENT.items()}
        writer.writerow(["at", "conversation", "agent", "rule", "reason", "explained"])
        for d in rs.decisions_between(since, until, 10_000):
            row = [
                timezone.localtime(d.at).isoformat(),
                d.conversation_id,
                str(d.agent or ""),
                d.get_rule_display(),
                mask(d.reason, lenient=True),
                mask(rs.explain_decision(d, topics), lenient=True),
            ]
            writer.writerow(row)
    record_audit(
        request.user, "routing.report_export", request.user, {"kind": kind, "days": days}, request=request
    )
    return response
