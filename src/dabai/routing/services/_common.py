"""What the services of the package share: which statuses are active, the chunk size of set-wise writes,
and who escalations and complaint cases fall back to.

Kept apart so that the SLA sweep and the complaint cases (both escalate to a team's supervisor) and the
router (which counts active conversations) do not import each other for a constant.
"""

from dabai.accounts.models import Role, User
from dabai.conversations.models import Status

ACTIVE = (Status.OPEN, Status.PENDING)
CHUNK = 900


def supervisors_by_team() -> tuple[dict[int, int], int | None]:
    """Each team's first active supervisor, and the one for teams without (any supervisor, else an admin)."""
    by_team: dict[int, int] = {}
    fallback = None
    for user_id, team_id in (
        User.objects.filter(role=Role.SUPERVISOR, is_active=True)
        .values_list("id", "agent_profile__teams")
        .order_by("id")
    ):
        fallback = fallback or user_id
        if team_id is not None:
            by_team.setdefault(team_id, user_id)
    if fallback is None:
        fallback = (
            User.objects.filter(role=Role.ADMIN, is_active=True)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
    return by_team, fallback
