"""Who may do what with surveys (on top of ``dabai.accounts.permissions``).

- supervisors and admins build surveys, invite, remind, read results and export;
- a survey's owner (e.g. a programme's organiser, for whom the programme created it) manages that survey;
- everyone else (agents, department members who own nothing, customers) sees no survey page except the
  public answer page, which the one-time token opens.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from dabai.accounts.models import Role, User
from dabai.accounts.permissions import is_supervisor
from dabai.surveys.models import Survey


def may_build(user: User) -> bool:
    return bool(is_supervisor(user) and user.is_active)


def may_manage(user: User, survey: Survey) -> bool:
    if may_build(user):
        return True
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role != Role.CUSTOMER
        and survey.owner_id is not None
        and survey.owner_id == user.pk
    )


def require_builder(user: User) -> None:
    if not may_build(user):
        raise PermissionDenied


def managed_survey(user: User, pk: int) -> Survey:
    """The survey with this id if the user may manage it: 404 when it does not exist, 403 when not theirs."""
    survey = Survey.objects.select_related("owner").filter(pk=pk).first()
    if survey is None:
        raise Http404
    if not may_manage(user, survey):
        raise PermissionDenied
    return survey
