"""Who may see what of quality (on top of ``dabai.accounts.permissions``).

- supervisors and admins read the reports of every team, agent, channel and topic;
- agents see their own outcomes and their customers' ratings (a page for growth, not punishment);
- department members and customers see nothing here (the voice of the customer reaches them elsewhere).
"""

from django.core.exceptions import PermissionDenied

from dabai.accounts.models import User
from dabai.accounts.permissions import is_desk_user, is_supervisor


def may_read_reports(user: User) -> bool:
    return is_supervisor(user)


def require_report_reader(user: User) -> None:
    if not may_read_reports(user):
        raise PermissionDenied


def require_own_outcomes_reader(user: User) -> None:
    """Every desk user has a page of their own outcomes."""
    if not is_desk_user(user):
        raise PermissionDenied


def may_review(user: User) -> bool:
    """Reviewers: supervisors and admins, and agents on a quality seat (they see every team's work)."""
    if not is_desk_user(user):
        return False
    if is_supervisor(user):
        return True
    profile = getattr(user, "agent_profile", None)
    return bool(profile and profile.can_view_all_teams)


def require_reviewer(user: User) -> None:
    if not may_review(user):
        raise PermissionDenied


def require_sampler(user: User) -> None:
    """Samples, questions, calibration rounds and agreement figures: supervisors and admins."""
    if not (is_supervisor(user) and user.is_active):
        raise PermissionDenied
