"""Survey pages: the builder (staff), the public answer page (by one-time token), results and CSV export.

Thin by design: permissions from ``dabai.surveys.policy``, changes through ``services``, figures from
``services.results``. The builder's question list is one htmx fragment re-rendered after every change.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dabai.accounts.services import record_audit
from dabai.core.csvsafe import csv_response
from dabai.surveys import conf, selectors, services
from dabai.surveys.forms import InviteForm, QuestionForm, SurveyForm, answer_form
from dabai.surveys.models import Question
from dabai.surveys.policy import managed_survey, require_builder

MOODS = {"positive": "good", "neutral": "neutral", "negative": "bad"}
PERSON = re.compile(r"^\s*(?:(?P<name>[^,，<]*?)\s*[,，]\s*)?<?(?P<email>[^\s,，<>]+@[^\s,，<>]+)>?\s*$")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Every survey with its response count, and a form to start a new one."""
    require_builder(request.user)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survey = services.create_survey(
            title=form.cleaned_data["title"],
            intro=form.cleaned_data["intro"],
            anonymous=form.cleaned_data["anonymous"],
            auto_remind=form.cleaned_data["auto_remind"],
            questions=[],
            owner=request.user,
        )
        record_audit(request.user, "surveys.create", survey, request=request)
        return redirect("surveys:edit", pk=survey.pk)
    return render(request, "surveys/index.html", {"form": form, "surveys": selectors.survey_list()})


def _builder_context(survey, form: QuestionForm | None = None, error: str = "") -> dict:
    return {
        "survey": survey,
        "questions": list(survey.questions.all()),
        "question_form": form or QuestionForm(initial={"required": True}),
        "frozen": survey.responses.exists(),
        "error": error,
    }


def _builder_fragment(request: HttpRequest, survey, form=None, error: str = "") -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, "surveys/_questions.html", _builder_context(survey, form, error))
    if error:
        messages.error(request, error)
    return redirect("surveys:edit", pk=survey.pk)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The builder: questions (add, move, remove with htmx), invitations, opening and closing."""
    survey = managed_survey(request.user, pk)
    invitations = selectors.invitations(survey)
    for invitation in invitations:
        # The personal link, for organisers who hand it over in a chat group instead of by email.
        invitation.path = "" if services.closed_reason(invitation) else services.invitation_path(invitation)
    context = _builder_context(survey) | {"invite_form": InviteForm(), "invitations": invitations}
    return render(request, "surveys/edit.html", context)


@login_required
@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = managed_survey(request.user, pk)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        return _builder_fragment(request, survey, form)
    try:
        services.add_question(survey, form.cleaned_data)
    except ValidationError as error:
        by_field = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for name, problems in by_field.items():
            for problem in problems:
                form.add_error(name if name in form.fields else None, problem)
        return _builder_fragment(request, survey, form)
    record_audit(request.user, "surveys.question_add", survey, request=request)
    return _builder_fragment(request, survey)


def _managed_question(request: HttpRequest, pk: int) -> Question:
    question = get_object_or_404(Question.objects.select_related("survey"), pk=pk)
    managed_survey(request.user, question.survey_id)
    return question


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = _managed_question(request, pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.move_question(question, offset)
    return _builder_fragment(request, question.survey)


@login_required
@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = _managed_question(request, pk)
    try:
        services.delete_question(question)
    except ValidationError as error:
        return _builder_fragment(request, question.survey, error=" ".join(error.messages))
    record_audit(request.user, "surveys.question_delete", question.survey, {"question": pk}, request=request)
    return _builder_fragment(request, question.survey)


@login_required
@require_POST
def toggle(request: HttpRequest, pk: int) -> HttpResponse:
    survey = managed_survey(request.user, pk)
    services.set_open(survey, not survey.is_open)
    record_audit(request.user, "surveys.open" if survey.is_open else "surveys.close", survey, request=request)
    return redirect("surveys:edit", pk=survey.pk)


def _people(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, email) per line, and the lines that are not "name, email" (with their numbers)."""
    people, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = PERSON.match(line)
        if match is None:
            bad.append(
                _("Line %(n)d: “%(line)s” is not “name, email”.") % {"n": number, "line": line.strip()}
            )
        else:
            people.append(((match["name"] or "").strip(), match["email"]))
    return people, bad


@login_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite people by email: every line checked first; nobody is invited while a line is wrong."""
    survey = managed_survey(request.user, pk)
    form = InviteForm(request.POST)
    bad: list[str] = []
    if form.is_valid():
        people, bad = _people(form.cleaned_data["people"])
        if not people and not bad:
            bad.append(_("Give at least one person."))
    if not form.is_valid() or bad:
        context = _builder_context(survey) | {
            "invite_form": form,
            "invite_errors": bad,
            "invitations": selectors.invitations(survey),
        }
        return render(request, "surveys/edit.html", context, status=400)
    sent, problems = 0, []
    for name, email in people:
        try:
            invitation = services.invite(survey, email=email, name=name)
            if invitation.sent_at is None:
                services.send_invitation(
                    invitation, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
                )
                sent += 1
        except (ValidationError, services.InvitationClosed) as error:
            problems.append(f"{email}: {' '.join(getattr(error, 'messages', [str(error)]))}")
    record_audit(request.user, "surveys.invite", survey, {"sent": sent}, request=request)
    messages.success(request, _("%(n)d invitations are on their way.") % {"n": sent})
    for problem in problems:
        messages.error(request, problem)
    return redirect("surveys:edit", pk=survey.pk)


@login_required
@require_POST
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    survey = managed_survey(request.user, pk)
    count = services.send_reminders(survey, min_gap=conf.reminder_gap())
    record_audit(request.user, "surveys.remind", survey, {"reminded": count}, request=request)
    messages.success(request, _("%(n)d reminders are on their way.") % {"n": count})
    return redirect("surveys:edit", pk=survey.pk)


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = managed_survey(request.user, pk)
    figures = services.results(survey)
    charts = {f"chart-{r.question.pk}": r.chart for r in figures.questions if r.counts}
    record_audit(request.user, "surveys.results_read", survey, request=request)
    return render(request, "surveys/results.html", {"survey": survey, "results": figures, "charts": charts})


@login_required
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """Every response as CSV; anonymous surveys carry no names, free texts are masked; audited."""
    survey = managed_survey(request.user, pk)
    response = csv_response(f"dabai-survey-{survey.pk}")
    rows = services.write_csv(survey, response)
    record_audit(request.user, "surveys.export", survey, {"rows": rows}, request=request)
    return response


@never_cache
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The public answer page: the signed one-time token is the key (no login). A forged token is a 404;
    an answered, expired or closed one a 410 with a page that says which."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "surveys/closed.html", {"reason": "invalid"}, status=404)
    survey = invitation.survey
    reason = services.closed_reason(invitation)
    if reason:
        return render(request, "surveys/closed.html", {"reason": reason, "survey": survey}, status=410)
    questions = list(survey.questions.all())
    form = answer_form(questions, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        post = request.POST
        data = {
            q.field_name: post.getlist(q.field_name) if q.kind == "multiple" else post.get(q.field_name)
            for q in questions
        }
        try:
            services.submit_response(invitation, data)
        except services.InvitationClosed as closed:
            return render(
                request, "surveys/closed.html", {"reason": closed.reason, "survey": survey}, status=410
            )
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                if name in form.errors:
                    continue  # the form said it already (e.g. a choice that was not offered)
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
            status = 400
        else:
            return render(request, "surveys/thanks.html", {"survey": survey})
    context = {"survey": survey, "form": form, "invitation": invitation, "moods": MOODS}
    return render(request, "surveys/answer.html", context, status=status)
