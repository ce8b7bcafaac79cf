"""State changes for people and the audit trail."""

from typing import Any

from django.db import models
from django.http import HttpRequest

from dabai.accounts.models import AgentProfile, AuditEntry, Department, Role, Team, User


def record_audit(
    actor: User | None,
    action: str,
    obj: models.Model,
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one audit entry. Called by every service that reveals or changes sensitive data."""
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        detail=detail or {},
        ip_address=ip,
    )


def create_staff_user(
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    teams: list[Team] | None = None,
    department: Department | None = None,
    can_view_all_teams: bool = False,
) -> User:
    """Create a person of the centre with the profile their role needs."""
    user = User.objects.create_user(
        username=username,
        password=password,
        role=role,
        display_name=display_name,
        department=department,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if role in {Role.AGENT, Role.SUPERVISOR, Role.ADMIN}:
        profile = AgentProfile.objects.create(user=user, can_view_all_teams=can_view_all_teams)
        if teams:
            profile.teams.set(teams)
    return user
