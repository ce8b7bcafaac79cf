"""The organisers' side (supervisors): programmes, sessions, selection, check-in, notes, certificates,
surveys."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.services import record_audit
from dabai.programs import selectors
from dabai.programs.forms import (
    AgendaForm,
    ChangesForm,
    ConsentForm,
    DrawForm,
    NoteForm,
    ProgrammeForm,
    SampleForm,
    SeedForm,
    SessionForm,
    VisitFeedbackForm,
)
from dabai.programs.models import Kind, Programme, Question, Registration, SessionStatus, VisitCustomer
from dabai.programs.services import (
    certificates,
    feedback,
    mail,
    meetup,
    notes,
    observation,
    reminders,
    seats,
    selection,
    visits,
)
from dabai.programs.views.common import organised_session, require_organiser
from dabai.programs.views.public import certificate_response


@login_required
def organise(request: HttpRequest) -> HttpResponse:
    require_organiser(request.user)
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        programme = seats.create_programme(**form.cleaned_data)
        record_audit(request.user, "programs.programme_created", programme)
        return redirect("programs:programme", programme.pk)
    return render(
        request, "programs/organise/index.html", {"programmes": selectors.programmes(), "form": form}
    )


@login_required
def programme(request: HttpRequest, pk: int) -> HttpResponse:
    require_organiser(request.user)
    found = Programme.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session = seats.create_session(found, **form.cleaned_data)
        record_audit(request.user, "programs.session_created", session)
        return redirect("programs:session", session.pk)
    sessions = selectors.dashboard(found)
    chart = {
        "labels": [f.session.starts_at.strftime("%Y-%m-%d") for f in sessions],
        "rating": [f.scores.rating if f.scores else None for f in sessions],
        "nps": [f.scores.nps if f.scores else None for f in sessions],
        "attended": [f.attended for f in sessions],
    }
    return render(
        request,
        "programs/organise/programme.html",
        {
            "programme": found,
            "sessions": sessions,
            "followups": selectors.programme_followups(found),
            "form": form,
            "chart": chart,
        },
    )


@login_required
def session(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    previous = selectors.previous_session(found)
    return render(
        request,
        "programs/organise/session.html",
        {
            "session": found,
            "figures": selectors.figures(found),
            "registrations": selectors.registrations(found),
            "selection_rows": selectors.selection_rows(found),
            "agenda": found.agenda.all(),
            "notes": found.notes.prefetch_related("intentions__department"),
            "previous": previous,
            "previous_scores": selectors.scores(previous) if previous else None,
            "visit_customers": found.visit_customers.select_related("customer"),
            "is_training": found.programme.kind == Kind.TRAINING,
            "is_meetup": found.programme.kind == Kind.MEETUP,
            "is_visit": found.programme.kind == Kind.VISIT,
            "agenda_form": AgendaForm(),
            "note_form": NoteForm(),
            "seed_form": SeedForm(),
            "draw_form": DrawForm(),
            "changes_form": ChangesForm(initial={"changes_since_last": found.changes_since_last}),
            "sample_form": SampleForm(),
            "consent_form": ConsentForm(),
            "visit_feedback_form": VisitFeedbackForm(),
            "statuses": SessionStatus.choices,
        },
    )


def _back(pk: int) -> HttpResponse:
    return redirect("programs:session", pk)


def _errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label} {' '.join(errors)}".strip())


@login_required
@require_POST
def select(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    form = SeedForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return _back(pk)
    try:
        plan = selection.select_participants(found, actor=request.user, seed=form.cleaned_data["seed"])
    except seats.SeatError as error:
        messages.error(request, str(error))
    else:
        chosen = sum(1 for d in plan if d.outcome == "selected")
        messages.success(
            request,
            _("%(chosen)d selected, %(waiting)d on the waiting list (seed %(seed)s).")
            % {"chosen": chosen, "waiting": len(plan) - chosen, "seed": found.selection_seed},
        )
    return _back(pk)


@login_required
@require_POST
def agenda(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    form = AgendaForm(request.POST)
    if form.is_valid():
        seats.add_agenda_item(found, **form.cleaned_data)
    else:
        _errors(request, form)
    return _back(pk)


@login_required
@require_POST
def changes(request: HttpRequest, pk: int) -> HttpResponse:
    """Write what changed since last time; optionally send everyone invited the updated calendar entry."""
    found = organised_session(request.user, pk)
    form = ChangesForm(request.POST)
    if form.is_valid():
        found.changes_since_last = form.cleaned_data["changes_since_last"]
        found.save(update_fields=["changes_since_last"])
        record_audit(request.user, "programs.session_changed", found)
        if form.cleaned_data["notify"]:
            sent = mail.notify_session_changed(found)
            messages.success(request, _("The update goes to %(n)d people.") % {"n": sent})
    return _back(pk)


@login_required
@require_POST
def status(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    value = request.POST.get("status", "")
    if value not in SessionStatus.values:
        return HttpResponse(status=400)
    if value == SessionStatus.CANCELLED:
        for registration in Registration.objects.filter(session=found, invited_at__isnull=False):
            seats.cancel(registration, actor=request.user)
    seats.set_status(found, value, actor=request.user)
    return _back(pk)


@login_required
@require_POST
def cancel_registration(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    registration = Registration.objects.filter(
        session=found, pk=_int(request.POST.get("registration"))
    ).first()
    if registration is None:
        raise Http404
    seats.cancel(registration, actor=request.user)
    return _back(pk)


@login_required
@require_POST
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    invited = reminders.remind_unanswered(found.pk)
    surveyed = feedback.remind_survey(found)
    messages.success(
        request,
        _("Reminders: %(invited)d invitations, %(surveyed)d surveys (at most two per person).")
        % {"invited": invited, "surveyed": surveyed},
    )
    return _back(pk)


@login_required
@require_POST
def pair(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    paired = observation.pair_observers(found, actor=request.user)
    if paired:
        messages.success(request, _("%(n)d participants paired with agents on shift.") % {"n": len(paired)})
    else:
        messages.error(request, _("No agent is available on shift, or nobody takes part yet."))
    return _back(pk)


@login_required
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return _back(pk)
    try:
        note = notes.add_note(
            found,
            topic=form.cleaned_data["topic"],
            conclusion=form.cleaned_data["conclusion"],
            author=request.user,
            intentions=form.intentions(),
        )
    except (ValueError, ValidationError) as error:
        messages.error(request, str(error))
    else:
        opened = note.intentions.count()
        messages.success(request, _("Note saved; %(n)d follow-ups opened for departments.") % {"n": opened})
    return _back(pk)


@login_required
@require_POST
def issue_certificates(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    issued = certificates.issue_all(found, actor=request.user)
    messages.success(request, _("%(n)d certificates issued.") % {"n": issued})
    return _back(pk)


@login_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """An attendee's certificate PDF (the organiser prints or forwards it)."""
    registration = Registration.objects.select_related("session__programme").filter(pk=pk).first()
    require_organiser(request.user)
    if registration is None or not registration.certificate_code:
        raise Http404
    return certificate_response(registration)


@login_required
@require_POST
def send_survey(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    try:
        invited = feedback.send_feedback_survey(found, actor=request.user)
    except (feedback.FeedbackError, ValidationError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The survey goes to %(n)d attendees.") % {"n": invited})
    return _back(pk)


@login_required
@require_POST
def draw(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    form = DrawForm(request.POST)
    if form.is_valid():
        meetup.prize_draw(
            found, winners=form.cleaned_data["winners"], seed=form.cleaned_data["seed"], actor=request.user
        )
    else:
        _errors(request, form)
    return _back(pk)


@login_required
def door_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable schedule for the room's door: participants, agenda, room (A4)."""
    found = organised_session(request.user, pk)
    return render(
        request,
        "programs/organise/door_sign.html",
        {"session": found, "agenda": found.agenda.all(), "participants": selectors.participants(found)},
    )


@login_required
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """The door's phone page: search a name (or the phone's last digits) and check the person in."""
    found = organised_session(request.user, pk)
    if request.method == "POST":
        registration = Registration.objects.filter(
            session=found, pk=_int(request.POST.get("registration"))
        ).first()
        if registration is None:
            raise Http404
        if seats.check_in(registration, actor=request.user):
            messages.success(request, _("%(name)s is checked in.") % {"name": registration.name})
        else:
            messages.error(request, _("%(name)s holds no seat.") % {"name": registration.name})
        return redirect(f"{request.path}?q={request.POST.get('q', '')}")
    query = request.GET.get("q", "")[:50]
    return render(
        request,
        "programs/organise/checkin.html",
        {"session": found, "q": query, "people": selectors.search_attendees(found, query)[:30]},
    )


@login_required
def checkin_token(request: HttpRequest, token: str) -> HttpResponse:
    """Where the QR on a confirmation leads: the organiser sees who it is and checks them in."""
    require_organiser(request.user)
    registration = selectors.by_token(token)
    if registration is None:
        raise Http404
    if request.method == "POST":
        if seats.check_in(registration, actor=request.user):
            messages.success(request, _("%(name)s is checked in.") % {"name": registration.name})
        else:
            messages.error(request, _("%(name)s holds no seat.") % {"name": registration.name})
        return redirect("programs:checkin", registration.session_id)
    return render(request, "programs/organise/checkin_one.html", {"registration": registration})


@login_required
def staff_questions(request: HttpRequest, pk: int, partial: bool = False) -> HttpResponse:
    """The session's questions: the whole page, or (``partial``) the list the page polls every 5 s."""
    found = organised_session(request.user, pk)
    template = "programs/organise/_questions.html" if partial else "programs/organise/questions.html"
    return render(request, template, {"session": found, "questions": selectors.questions(found)})


@login_required
@require_POST
def answered(request: HttpRequest, pk: int) -> HttpResponse:
    found = organised_session(request.user, pk)
    question = Question.objects.filter(session=found, pk=_int(request.POST.get("question"))).first()
    if question is None:
        raise Http404
    meetup.mark_answered(question, actor=request.user)
    if request.headers.get("HX-Request"):
        return staff_questions(request, pk, partial=True)
    return redirect("programs:staff_questions", pk)


@login_required
@require_POST
def question_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Save an answered question with its answer as a help-centre draft for the editors."""
    found = organised_session(request.user, pk)
    question = Question.objects.filter(session=found, pk=_int(request.POST.get("question"))).first()
    if question is None:
        raise Http404
    try:
        article = meetup.draft_article_from_question(
            question, answer=request.POST.get("answer", ""), actor=request.user
        )
    except meetup.EmptyAnswer as empty:
        messages.error(request, str(empty))
    else:
        messages.success(request, _("Saved as help-centre draft “%(title)s”.") % {"title": article.title})
    return redirect("programs:staff_questions", pk)


@login_required
@require_POST
def sample(request: HttpRequest, pk: int) -> HttpResponse:
    """Customer visits: draw customers by the stated sample and add them to the visit."""
    found = organised_session(request.user, pk)
    form = SampleForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return _back(pk)
    data = form.cleaned_data
    seed = data["seed"] if data["seed"] is not None else secrets.randbelow(10**9)
    try:
        chosen = visits.sample_customers(
            criterion=data["criterion"], value=data["value"], size=data["size"], seed=seed
        )
        for picked in chosen:
            visits.add_visit_customer(found, picked.customer, reason=picked.reason, actor=request.user)
    except visits.VisitError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(n)d customers sampled (seed %(seed)s).") % {"n": len(chosen), "seed": seed}
        )
    return _back(pk)


def _visit(request: HttpRequest, pk: int) -> VisitCustomer:
    require_organiser(request.user)
    visit = VisitCustomer.objects.select_related("session__programme", "customer").filter(pk=pk).first()
    if visit is None:
        raise Http404
    return visit


@login_required
@require_POST
def visit_consent(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk)
    form = ConsentForm(request.POST)
    if form.is_valid():
        visits.record_consent(visit, how=form.cleaned_data["how"], actor=request.user)
    else:
        _errors(request, form)
    return _back(visit.session_id)


@login_required
@require_POST
def visit_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk)
    form = VisitFeedbackForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return _back(visit.session_id)
    try:
        visits.record_feedback(
            visit,
            feedback=form.cleaned_data["feedback"],
            summary=form.cleaned_data["summary"],
            actor=request.user,
        )
    except visits.VisitError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The feedback is in the customer's history and the case library."))
    return _back(visit.session_id)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
