"""Pages of accounts: the sign-in page shown to someone locked out after too many failed attempts."""

from typing import Any

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_message() -> str:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return _(
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes, "
        "or ask an administrator to unlock your account."
    ) % {"minutes": minutes}


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: dict | None = None
) -> HttpResponseBase:
    """django-axes' lockout response (``AXES_LOCKOUT_CALLABLE``): the sign-in page again, with the reason.

    A view that already answered with its own lockout page (status 429, e.g. the portal's code sign-in)
    keeps it.
    """
    if isinstance(original_response, HttpResponseBase) and original_response.status_code == 429:
        return original_response
    context = {
        "lockout": lockout_message(),
        "next": request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME, "")),
    }
    response: HttpResponse = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
