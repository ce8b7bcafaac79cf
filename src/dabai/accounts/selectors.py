"""Reads about people, shared by every app that offers a choice of them."""

from django.db.models import QuerySet

from dabai.accounts.models import Role, User


def desk_people() -> QuerySet[User]:
    """The people a conversation can be handed to: active agents, supervisors and admins — never an
    automated account (the bot, an API token's service user, the survey sender), which no one can work."""
    return User.objects.filter(
        role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN], is_active=True, is_automated=False
    ).order_by("first_name", "username")
