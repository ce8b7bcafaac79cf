from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from dabai.accounts.models import Role

HOME_BY_ROLE = {
    Role.ADMIN: "desk:inbox",
    Role.SUPERVISOR: "desk:inbox",
    Role.AGENT: "desk:inbox",
    Role.DEPARTMENT: "insights:cases",
    Role.CUSTOMER: "portal:home",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work is."""
    return redirect(HOME_BY_ROLE.get(request.user.role, "accounts:login"))
