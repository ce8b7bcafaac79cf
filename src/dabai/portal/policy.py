"""Who may use the portal: signed-in customers, each seeing only their own conversations (see selectors)."""

from dabai.accounts.models import Role, User


def is_portal_customer(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.CUSTOMER)
