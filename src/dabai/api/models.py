"""API tokens: they belong to the organisation, not to a person.

A token is named, holds scopes, may expire, is shown once when created and stored only as a hash (its short
prefix finds the row), can be revoked, and remembers when it was last used. Each token acts through its own
service account (``service_user``): an automated desk user with no password, whose name carries the token's,
so the desk's services (which take an actor) and the audit log name the token, never a person.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import Team

DEFAULT_RATE_LIMIT = 600


class ApiToken(models.Model):
    name = models.CharField(_("Name"), max_length=100, unique=True, help_text=_("e.g. CRM sync, BI export."))
    prefix = models.CharField(_("Prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("Scopes"), default=list)
    teams = models.ManyToManyField(
        Team,
        verbose_name=_("Limited to teams"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every conversation. Otherwise as an agent of these teams sees them."),
    )
    expires_at = models.DateTimeField(_("Expires at"), null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(_("Requests per minute"), default=DEFAULT_RATE_LIMIT)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("Last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("Revoked at"), null=True, blank=True, editable=False)
    # The rate limit's current one-minute window and how many requests it has seen.
    window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    window_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
