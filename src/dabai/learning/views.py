"""The supervisor's page of filter models: train a candidate, compare figures, activate, roll back. Thin."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dabai.accounts.permissions import require_supervisor
from dabai.filter import load_model
from dabai.learning import selectors, services
from dabai.learning.models import FilterModelVersion


def _page(request: HttpRequest) -> dict:
    shipped = load_model()
    return {"page": selectors.versions_page(getattr(shipped, "version", "rules"))}


@login_required
def versions(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    template = "learning/_versions.html" if request.htmx else "learning/versions.html"
    return render(request, template, _page(request))


@login_required
@require_POST
def train(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    services.request_training(actor=request.user, request=request)
    flash.info(request, _("Training a candidate from the corpus and the agents' corrections…"))
    return redirect("learning:versions")


@login_required
@require_POST
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    require_supervisor(request.user)
    version = get_object_or_404(FilterModelVersion, pk=pk)
    try:
        services.activate_version(version, actor=request.user, request=request)
    except services.CannotActivate:
        flash.error(request, _("This version cannot be activated: it is not a trained model on disk."))
    else:
        flash.success(request, _("Version %(version)s now reads messages.") % {"version": version.version})
    return redirect("learning:versions")


@login_required
@require_POST
def roll_back(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    try:
        now_active = services.roll_back(actor=request.user, request=request)
    except services.NothingToRollBack:
        flash.error(request, _("No version is active: the shipped model already reads messages."))
    except services.CannotActivate:
        flash.error(request, _("The previous version cannot be activated: its file is missing."))
    else:
        shown = now_active.version if now_active is not None else _("the shipped model")
        flash.success(request, _("Rolled back: %(version)s reads messages again.") % {"version": shown})
    return redirect("learning:versions")
