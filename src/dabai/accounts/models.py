"""Who works in (and with) the service centre, and the trail of what they saw or changed."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")
    DEPARTMENT = "department", _("Department member")
    CUSTOMER = "customer", _("Customer")


class Team(models.Model):
    """A group of agents that owns a queue of conversations (e.g. 热线组, 在线组, 社交媒体组)."""

    name = models.CharField(_("Name"), max_length=100, unique=True)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name = _("Team")
        verbose_name_plural = _("Teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """An internal customer of the service centre (product, marketing, finance, HR…)."""

    name = models.CharField(_("Name"), max_length=100, unique=True)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name = _("Department")
        verbose_name_plural = _("Departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Every person who signs in; the role decides what they may see."""

    role = models.CharField(_("Role"), max_length=20, choices=Role.choices, default=Role.AGENT, db_index=True)
    display_name = models.CharField(_("Display name"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("Department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    is_automated = models.BooleanField(
        _("Automated"),
        default=False,
        db_default=False,
        help_text=_("A bot account: its answers do not count as the first human response."),
    )

    class Meta:
        verbose_name = _("User")
        verbose_name_plural = _("Users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_staff_side(self) -> bool:
        """Agents, supervisors and admins work at the desk; departments and customers do not."""
        return self.role in {Role.ADMIN, Role.SUPERVISOR, Role.AGENT}


class AgentProfile(models.Model):
    """Desk settings of an agent: teams and whether they may look beyond their own teams."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    teams = models.ManyToManyField(Team, verbose_name=_("Team"), related_name="agents", blank=True)
    can_view_all_teams = models.BooleanField(
        _("May view other teams' conversations"),
        default=False,
        help_text=_("For example expert seats or quality reviewers."),
    )

    class Meta:
        verbose_name = _("Agent profile")
        verbose_name_plural = _("Agent profiles")

    def __str__(self) -> str:
        return str(self.user)


class AuditEntry(models.Model):
    """An append-only record of who saw or changed what: the answer to "who looked at this number?"."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("Audit entry")
        verbose_name_plural = _("Audit entries")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}#{self.object_id}"
