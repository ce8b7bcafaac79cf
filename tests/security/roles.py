"""Who must be refused: the role sets the access registry speaks in (shared by every app's registry file)."""

from .conftest import ROLES

NOT_DESK = {"anonymous", "customer", "department"}
NOT_SUPERVISOR = NOT_DESK | {"agent", "other_agent"}
NOT_ADMIN = NOT_SUPERVISOR | {"supervisor"}
EVERYONE = set(ROLES)
HOT = NOT_DESK | {"other_agent"}  # who must not see the hotline's things
ONLINE = NOT_DESK | {"agent"}  # who must not see the online team's things
NOT_VOC = {"anonymous", "customer", "agent", "other_agent"}
