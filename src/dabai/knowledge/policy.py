"""Who may do what with knowledge (on top of ``dabai.accounts.permissions``).

Every desk user reads and drafts articles; supervisors and admins publish and see content gaps; only
administrators edit synonyms, because one synonym changes every search.
"""

from django.core.exceptions import PermissionDenied

from dabai.accounts.models import Role, User
from dabai.accounts.permissions import is_desk_user, is_supervisor


def can_publish(user: User) -> bool:
    return is_supervisor(user)


def can_edit_synonyms(user: User) -> bool:
    return is_desk_user(user) and user.role == Role.ADMIN


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
