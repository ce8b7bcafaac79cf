"""The follow-up pages: queue, export, open, one follow-up and its actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts import permissions
from dabai.accounts.models import Role
from dabai.conversations.models import Conversation
from dabai.core import csvsafe
from dabai.followups import policy, selectors, services
from dabai.followups.forms import CommentForm, OpenForm, OwnerForm, StatusForm
from dabai.followups.models import FollowUp, Source, Status


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _visible(request: HttpRequest, pk: int) -> FollowUp:
    _require(policy.uses_followups(request.user))
    item = selectors.followup(pk)
    if item is None or not policy.may_see(request.user, item):
        raise Http404
    return item


def _errors(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


# -------------------------------------------------------------------------------------------------- queue


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """A department's queue (supervisors: every department's; agents: the follow-ups of their cases)."""
    user = request.user
    _require(policy.uses_followups(user))
    filters = selectors.QueueFilters.from_query(request.GET)
    department = user.department if user.role == Role.DEPARTMENT else None
    base = policy.visible_followups(user)
    rows = list(selectors.department_queue(department, filters=filters, user=user, base=base)[:500])
    for row in rows:
        row.overdue = selectors.is_overdue(row)
    return render(
        request,
        "followups/queue.html",
        {
            "rows": rows,
            "filters": filters,
            "counts": selectors.counts(
                selectors.department_queue(department, base=base, filters=selectors.QueueFilters(status=""))
            ),
            "department": department,
            "departments": selectors.departments() if department is None and policy.oversees(user) else [],
            "statuses": Status.choices,
            "may_open": policy.may_open_followups(user),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The queue as filtered, one row per follow-up, masked, formula-safe; audited."""
    user = request.user
    _require(policy.uses_followups(user))
    filters = selectors.QueueFilters.from_query(request.GET)
    department = user.department if user.role == Role.DEPARTMENT else None
    qs = selectors.department_queue(
        department, filters=filters, user=user, base=policy.visible_followups(user)
    )
    rows = selectors.export_rows(
        qs, lambda pk: request.build_absolute_uri(reverse("followups:detail", args=[pk]))
    )
    services.record_export(user, len(rows), request=request)
    response = csvsafe.csv_response("followups")
    writer = csvsafe.writer(response)
    writer.writerow(selectors.export_header())
    writer.writerows(rows)
    return response


# --------------------------------------------------------------------------------------------------- open


def _prefill(request: HttpRequest) -> dict:
    """``?conversation=12`` (from a case), ``?topic=topic:7`` or ``?topic=intent:billing`` (from a topic),
    ``?emerging=…`` (from an emerging issue), ``?title=…``, ``?source=…``: the same form, started for you."""
    initial: dict = {}
    conversation_ids = [c for c in request.GET.getlist("conversation") if c.isdigit()][:50]
    if conversation_ids:
        initial["conversations"] = ", ".join(conversation_ids)
        initial["source"] = Source.CASE
    if request.GET.get("topic"):
        initial["topic_key"] = request.GET["topic"][:64]
        initial["source"] = Source.TOPIC
    if request.GET.get("emerging"):
        initial["topic_key"] = initial.get("topic_key") or request.GET["emerging"][:64]
        initial["source"] = Source.EMERGING
        initial["source_ref"] = request.GET["emerging"][:200]
    if request.GET.get("source") in Source.values:
        initial["source"] = request.GET["source"]
    if request.GET.get("title"):
        initial["title"] = request.GET["title"][:200]
    if request.GET.get("department", "").isdigit():
        initial["department"] = int(request.GET["department"])
    return initial


@login_required
def open_followup(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(policy.may_open_followups(user))
    form = OpenForm(request.POST or None, initial=_prefill(request))
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        found = list(selectors.conversations_by_ids(data["conversations"]))
        missing = sorted(set(data["conversations"]) - {c.pk for c in found})
        if missing:
            errors.append(_("No case numbered %(ids)s.") % {"ids": ", ".join(map(str, missing))})
        else:
            try:
                item = services.open_followup(
                    title=data["title"],
                    department=data["department"],
                    opened_by=user,
                    description=data["description"],
                    due=data["due"],
                    conversations=found,
                    topic_key=data["topic_key"],
                    source=data["source"],
                    source_ref=data["source_ref"],
                )
            except ValidationError as error:
                errors += _errors(error)
            else:
                messages.success(
                    request, _("Follow-up opened for %(department)s.") % {"department": item.department}
                )
                return redirect("followups:detail", item.pk)
    if form.is_bound:
        ids = form.cleaned_data.get("conversations", []) if hasattr(form, "cleaned_data") else []
    else:
        ids = [int(c) for c in str(form.initial.get("conversations", "")).split(", ") if c.isdigit()]
    return render(
        request,
        "followups/open.html",
        {"form": form, "errors": errors, "cases": selectors.case_previews(ids)},
        status=400 if request.method == "POST" else 200,
    )


# ------------------------------------------------------------------------------------------- one follow-up


def _detail_context(request: HttpRequest, item: FollowUp, **extra) -> dict:
    user = request.user
    item.overdue = selectors.is_overdue(item)
    return {
        "item": item,
        "events": selectors.events(item),
        "cases": selectors.linked_cases(
            item,
            within=None
            if permissions.is_voc_reader(user)
            else permissions.visible_conversations(user, Conversation.objects.all()),
        ),
        "case_link": "insights" if permissions.is_voc_reader(user) else "desk",
        "may_work": policy.may_work_on(user, item),
        "may_comment": policy.may_comment(user, item),
        "status_form": StatusForm(initial={"status": item.status}),
        "owner_form": OwnerForm(
            department=item.department, initial={"owner": item.owner_id, "due": item.due}
        ),
        "comment_form": CommentForm(),
        "statuses": [(s, label) for s, label in Status.choices if s in services.TRANSITIONS[item.status]],
        "errors": [],
        **extra,
    }


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    services.record_view(request.user, item, request=request)
    return render(request, "followups/detail.html", _detail_context(request, item))


def _after_action(request: HttpRequest, item: FollowUp, errors: list[str]) -> HttpResponse:
    """htmx gets the refreshed panel (errors inside it); a plain form post goes back to the page."""
    fresh = selectors.followup(item.pk)
    if request.headers.get("HX-Request"):
        return render(request, "followups/_panel.html", _detail_context(request, fresh, errors=errors))
    if errors:
        return render(
            request, "followups/detail.html", _detail_context(request, fresh, errors=errors), status=400
        )
    return redirect("followups:detail", item.pk)


@login_required
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    _require(policy.may_work_on(request.user, item))
    form = StatusForm(request.POST)
    errors: list[str] = []
    if not form.is_valid():
        errors = [_("Choose a status.")]
    else:
        try:
            services.change_status(
                item, form.cleaned_data["status"], actor=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            errors = _errors(error)
    return _after_action(request, item, errors)


@login_required
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    _require(policy.may_comment(request.user, item))
    form = CommentForm(request.POST)
    errors: list[str] = []
    if not form.is_valid():
        errors = [_("Write something first.")]
    else:
        try:
            services.comment(item, actor=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            errors = _errors(error)
    return _after_action(request, item, errors)


@login_required
@require_POST
def owner(request: HttpRequest, pk: int) -> HttpResponse:
    item = _visible(request, pk)
    _require(policy.may_work_on(request.user, item))
    form = OwnerForm(request.POST, department=item.department)
    errors: list[str] = []
    if not form.is_valid():
        errors = [_("Choose someone of the department and a valid date.")]
    else:
        try:
            services.assign_owner(item, form.cleaned_data["owner"], actor=request.user)
            services.set_due(item, form.cleaned_data["due"], actor=request.user)
        except ValidationError as error:
            errors = _errors(error)
    return _after_action(request, item, errors)
