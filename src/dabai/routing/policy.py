"""Who may do what in routing (on top of ``dabai.accounts.permissions``)."""

from django.core.exceptions import PermissionDenied

from dabai.accounts.models import User
from dabai.accounts.permissions import is_desk_user, is_supervisor
from dabai.routing.models import ComplaintCase


def require_routing_manager(user: User) -> None:
    """Dashboards, reports and other agents' states are for supervisors and admins."""
    if not is_supervisor(user):
        raise PermissionDenied


def may_set_state_of(user: User, agent: User) -> bool:
    """Agents pause and resume themselves; supervisors may set anyone's state."""
    return is_supervisor(user) or (is_desk_user(user) and user.pk == agent.pk)


def may_work_on_complaint(user: User, case: ComplaintCase) -> bool:
    return is_supervisor(user) or (is_desk_user(user) and case.owner_id == user.pk)
