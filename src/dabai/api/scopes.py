"""What an API token may do. A token holds a list of scopes; ``admin`` implies every scope but ``read:pii``,
which is always granted on purpose (every response it unmasks is written to the audit log)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    READ_CONVERSATIONS = "read:conversations", _("Read conversations")
    WRITE_CONVERSATIONS = "write:conversations", _("Assign conversations and change their status")
    READ_MESSAGES = "read:messages", _("Read messages")
    WRITE_MESSAGES = "write:messages", _("Post replies and internal notes")
    READ_CUSTOMERS = "read:customers", _("Read customers")
    WRITE_CUSTOMERS = "write:customers", _("Merge customers")
    READ_INSIGHTS = "read:insights", _("Read the filter's insights")
    READ_SLA = "read:sla", _("Read SLA state")
    READ_KNOWLEDGE = "read:knowledge", _("Read and search knowledge articles")
    USE_FILTER = "use:filter", _("Analyse text with the filter")
    WRITE_INBOUND = "write:inbound", _("Bring customer messages from a custom channel")
    READ_FOLLOWUPS = "read:followups", _("Read departments' follow-ups")
    WRITE_FOLLOWUPS = "write:followups", _("Open follow-ups, change their status and comment")
    READ_PII = "read:pii", _("See personal data unmasked (audited)")
    ADMIN = "admin", _("Everything above but personal data, and webhook subscriptions")


def granted(held: list[str] | tuple[str, ...], wanted: str) -> bool:
    """Whether a token holding ``held`` may do what ``wanted`` allows."""
    if wanted in held:
        return True
    return Scope.ADMIN in held and wanted != Scope.READ_PII
