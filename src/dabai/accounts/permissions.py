"""Who may see what. Every view asks here; nothing else decides access.

Policy:
- admins and supervisors see every conversation;
- agents see conversations of their own teams, assigned to them, or unrouted (no team yet);
  an agent flagged ``can_view_all_teams`` (expert seat, quality) sees all;
- department members never see the desk: only masked cases in the voice-of-the-customer portal (with
  supervisors; agents use the desk); call recordings only for supervisors and admins;
- customers see only their own conversations, through the portal.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from dabai.accounts.models import Role, User


def is_desk_user(user: User) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.role in {Role.ADMIN, Role.SUPERVISOR, Role.AGENT}
    )


def is_supervisor(user: User) -> bool:
    return bool(user.is_authenticated and user.role in {Role.ADMIN, Role.SUPERVISOR})


def is_department_member(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.DEPARTMENT)


def is_voc_reader(user: User) -> bool:
    """The voice-of-the-customer portal (masked cases, trends): department members and supervisors/admins.
    Agents work on the desk, where they see the unmasked conversations their teams handle."""
    return is_department_member(user) or bool(is_supervisor(user) and user.is_active)


def is_voc_editor(user: User) -> bool:
    """Curates the voice-of-the-customer portal (topics, news): supervisors and admins."""
    return bool(is_supervisor(user) and user.is_active)


def may_hear_recordings(user: User) -> bool:
    """Call recordings carry the customer's voice (personal data no mask can hide): supervisors only."""
    return bool(is_supervisor(user) and user.is_active)


def sees_all_conversations(user: User) -> bool:
    if is_supervisor(user):
        return True
    profile = getattr(user, "agent_profile", None)
    return bool(profile and profile.can_view_all_teams)


def team_ids(user: User) -> list[int]:
    profile = getattr(user, "agent_profile", None)
    if profile is None:
        return []
    return list(profile.teams.values_list("id", flat=True))


def visible_conversations(user: User, queryset: QuerySet) -> QuerySet:
    """Narrow a Conversation queryset to what this desk user may open."""
    if not is_desk_user(user):
        return queryset.none()
    if sees_all_conversations(user):
        return queryset
    return queryset.filter(Q(team_id__in=team_ids(user)) | Q(assignee=user) | Q(team__isnull=True))


def require_desk_user(user: User) -> None:
    if not is_desk_user(user):
        raise PermissionDenied


def require_supervisor(user: User) -> None:
    if not is_supervisor(user):
        raise PermissionDenied
