"""Staff who take part (department members, supervisors): register, see their places, observe an agent."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import is_supervisor
from dabai.accounts.services import record_audit
from dabai.programs import selectors
from dabai.programs.forms import RegisterForm
from dabai.programs.models import Registration
from dabai.programs.services import seats
from dabai.programs.views.common import require_participant


@login_required
def front(request: HttpRequest) -> HttpResponse:
    require_participant(request.user)
    return render(
        request,
        "programs/front.html",
        {
            "sessions": selectors.open_sessions(),
            "meetups": selectors.public_meetups(),
            "mine": selectors.my_registrations(request.user),
            "registered": set(
                Registration.objects.filter(user=request.user).values_list("session_id", flat=True)
            ),
            "form": RegisterForm(),
            "is_organiser": is_supervisor(request.user),
        },
    )


@login_required
@require_POST
def register(request: HttpRequest, pk: int) -> HttpResponse:
    require_participant(request.user)
    session = selectors.open_sessions().filter(pk=pk).first()
    if session is None:
        raise Http404
    form = RegisterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please keep your motivation under 1000 characters."))
        return redirect("programs:front")
    try:
        seats.register_staff(session, request.user, motivation=form.cleaned_data["motivation"])
    except seats.SeatError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("You are registered. The organisers select participants and will write to you.")
        )
    return redirect("programs:front")


def _observer_registration(request: HttpRequest, pk: int) -> Registration:
    registration = (
        Registration.objects.select_related("session__programme", "observed_agent").filter(pk=pk).first()
    )
    if registration is None:
        raise Http404
    if registration.user_id != request.user.pk and not is_supervisor(request.user):
        raise Http404
    return registration


@login_required
def observe(request: HttpRequest, pk: int) -> HttpResponse:
    """Side-by-side: the participant's read-only, masked view of what their agent is handling."""
    require_participant(request.user)
    registration = _observer_registration(request, pk)
    is_open = selectors.observation_open(registration)
    if not is_open and not is_supervisor(request.user):
        raise PermissionDenied
    record_audit(request.user, "programs.observation_viewed", registration)
    return render(
        request,
        "programs/observe.html",
        {
            "registration": registration,
            "rows": selectors.observed_desk(registration.observed_agent)
            if registration.observed_agent
            else [],
        },
    )


@login_required
def observe_desk(request: HttpRequest, pk: int) -> HttpResponse:
    require_participant(request.user)
    registration = _observer_registration(request, pk)
    if not selectors.observation_open(registration) and not is_supervisor(request.user):
        raise PermissionDenied
    rows = selectors.observed_desk(registration.observed_agent) if registration.observed_agent else []
    return render(request, "programs/_desk.html", {"registration": registration, "rows": rows})
