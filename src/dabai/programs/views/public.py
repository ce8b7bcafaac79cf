"""Public doors: meet-up registration, a person's own page by its secret token, the live Q&A, certificate
verification. No account; every door is rate-limited per address and shows nothing of any other person."""

import io

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.programs import selectors
from dabai.programs.forms import PublicRegistrationForm, QuestionForm, VerifyForm
from dabai.programs.models import Kind, Question, RegStatus
from dabai.programs.services import certificates, mail, meetup, seats
from dabai.programs.services.mail import absolute
from dabai.programs.views.common import registration_by_token, throttle, too_many


def meetups(request: HttpRequest) -> HttpResponse:
    wait = throttle(request, "read", write=False)
    if wait:
        return too_many(request, wait)
    return render(request, "programs/public/meetups.html", {"sessions": selectors.public_meetups()})


def meetup_register(request: HttpRequest, pk: int) -> HttpResponse:
    wait = throttle(request, "write" if request.method == "POST" else "read", write=request.method == "POST")
    if wait:
        return too_many(request, wait)
    session = selectors.public_meetup(pk)
    if session is None:
        raise Http404
    form = PublicRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signed = seats.register_public(
                session, name=data["name"], email=data["email"], phone=data["phone"], consent=data["consent"]
            )
        except seats.SeatError as error:
            form.add_error(None, str(error))
        else:
            if not signed.created:
                # Double registration is one registration; say so without revealing anything to whoever typed
                # someone else's address (the page link goes to the address on file, never to this browser).
                return render(request, "programs/public/already.html", {"session": session})
            return redirect("programs:mine", signed.registration.token)
    figures = selectors.figures(session)
    return render(
        request,
        "programs/public/meetup.html",
        {"session": session, "form": form, "seats_free": figures.seats_free, "agenda": session.agenda.all()},
    )


def mine(request: HttpRequest, token: str) -> HttpResponse:
    """The person's own page: status, accept / decline / cancel, the QR for the door, certificate, Q&A."""
    wait = throttle(request, "read", write=False)
    if wait:
        return too_many(request, wait)
    registration = registration_by_token(token)
    return render(
        request,
        "programs/public/mine.html",
        {
            "registration": registration,
            "session": registration.session,
            "agenda": registration.session.agenda.all(),
            "is_meetup": registration.session.programme.kind == Kind.MEETUP,
            "may_answer": registration.status in {RegStatus.SELECTED, RegStatus.OFFERED},
            "may_cancel": registration.status
            in {
                RegStatus.SELECTED,
                RegStatus.OFFERED,
                RegStatus.CONFIRMED,
                RegStatus.WAITING,
                RegStatus.REGISTERED,
            },
            "has_seat": registration.status in {RegStatus.CONFIRMED, RegStatus.SELECTED, RegStatus.ATTENDED},
            "survey_path": selectors.survey_path(registration),
        },
    )


@require_POST
def mine_answer(request: HttpRequest, token: str) -> HttpResponse:
    wait = throttle(request, "write", write=True)
    if wait:
        return too_many(request, wait)
    registration = registration_by_token(token)
    action = request.POST.get("action")
    try:
        if action == "accept":
            seats.accept(registration)
            messages.success(request, _("Thank you, your seat is confirmed."))
        elif action == "decline":
            seats.decline(registration)
            messages.info(request, _("You declined; the seat goes to the next person."))
        elif action == "cancel":
            if seats.cancel(registration):
                messages.info(request, _("Your registration is cancelled."))
        else:
            return HttpResponse(status=400)
    except seats.SeatError as error:
        messages.error(request, str(error))
    return redirect("programs:mine", token)


def mine_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The door's QR code: it opens the staff check-in page for this registration."""
    wait = throttle(request, "read", write=False)
    if wait:
        return too_many(request, wait)
    registration = registration_by_token(token)
    buffer = io.BytesIO()
    segno.make(absolute(reverse("programs:checkin_token", args=[registration.token])), error="m").save(
        buffer, kind="png", scale=6, border=2
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


def mine_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The person's calendar entry (the same UID and sequence as the last invitation sent)."""
    wait = throttle(request, "read", write=False)
    if wait:
        return too_many(request, wait)
    registration = registration_by_token(token)
    if registration.status not in {
        RegStatus.SELECTED,
        RegStatus.OFFERED,
        RegStatus.CONFIRMED,
        RegStatus.ATTENDED,
    }:
        raise Http404
    response = HttpResponse(mail.build_ics(registration), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invite.ics"'
    return response


def mine_certificate(request: HttpRequest, token: str) -> HttpResponse:
    wait = throttle(request, "read", write=False)
    if wait:
        return too_many(request, wait)
    registration = registration_by_token(token)
    if not registration.certificate_code:
        raise Http404
    return certificate_response(registration)


def certificate_response(registration) -> HttpResponse:
    try:
        pdf = certificates.render_pdf(registration)
    except certificates.CertificateError as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="certificate-{registration.certificate_code}.pdf"'
    )
    return response


def questions(request: HttpRequest, token: str) -> HttpResponse:
    """The attendee's live Q&A: everyone's questions (no names), ask one, upvote others."""
    writing = request.method == "POST"
    wait = throttle(request, "write" if writing else "read", write=writing)
    if wait:
        return too_many(request, wait)
    registration = _meetup_registration(token)
    form = QuestionForm(request.POST or None)
    if writing and form.is_valid():
        try:
            meetup.ask(registration, form.cleaned_data["body"])
        except meetup.QuestionError as error:
            form.add_error("body", str(error))
        else:
            return redirect("programs:questions", token)
    return render(
        request,
        "programs/public/questions.html",
        {"registration": registration, "session": registration.session, "form": form, **_qa(registration)},
    )


def _qa(registration) -> dict:
    voted = set(registration.upvotes.values_list("question_id", flat=True))
    return {"questions": selectors.questions(registration.session), "voted": voted}


def _meetup_registration(token: str):
    registration = registration_by_token(token)
    if registration.session.programme.kind != Kind.MEETUP:
        raise Http404
    return registration


def _question_list(request: HttpRequest, registration) -> HttpResponse:
    """The list of questions the Q&A page polls (and swaps in after an upvote)."""
    return render(
        request, "programs/public/_questions.html", {"registration": registration, **_qa(registration)}
    )


def questions_list(request: HttpRequest, token: str) -> HttpResponse:
    wait = throttle(request, "read", write=False)
    if wait:
        return too_many(request, wait)
    return _question_list(request, _meetup_registration(token))


@require_POST
def upvote(request: HttpRequest, token: str) -> HttpResponse:
    wait = throttle(request, "write", write=True)
    if wait:
        return too_many(request, wait)
    registration = registration_by_token(token)
    question = Question.objects.filter(
        pk=_int(request.POST.get("question")), session=registration.session
    ).first()
    if question is None:
        raise Http404
    meetup.upvote(registration, question)
    if request.headers.get("HX-Request"):
        return _question_list(request, registration)
    return redirect("programs:questions", token)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.GET or None)
    if form.is_valid():
        return redirect("programs:verify_code", form.cleaned_data["code"].strip().upper()[:32])
    return render(request, "programs/public/verify.html", {"form": form, "checked": False})


def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """A certificate's public check: name, programme and date for a valid code; "not valid" for any other."""
    wait = throttle(request, "verify", write=True)
    if wait:
        return too_many(request, wait)
    found = certificates.verify(code)
    return render(
        request,
        "programs/public/verify.html",
        {
            "form": VerifyForm(initial={"code": code[:32]}),
            "checked": True,
            "certificate": found,
            "code": code[:32],
        },
        status=200 if found else 404,
    )
