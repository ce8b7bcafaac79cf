"""Who works in (and with) the service centre, and the trail of what they saw or changed."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("管理员")
    SUPERVISOR = "supervisor", _("班长")
    AGENT = "agent", _("坐席")
    DEPARTMENT = "department", _("部门成员")
    CUSTOMER = "customer", _("客户")


class Team(models.Model):
    """A group of agents that owns a queue of conversations (e.g. 热线组, 在线组, 社交媒体组)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name = _("团队")
        verbose_name_plural = _("团队")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """An internal customer of the service centre (product, marketing, finance, HR…)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    slug = models.SlugField(unique=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Every person who signs in; the role decides what they may see."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.AGENT, db_index=True)
    display_name = models.CharField(_("显示名"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

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
    teams = models.ManyToManyField(Team, verbose_name=_("团队"), related_name="agents", blank=True)
    can_view_all_teams = models.BooleanField(
        _("可查看其他团队的会话"), default=False, help_text=_("例如专家席或质检人员。")
    )

    class Meta:
        verbose_name = _("坐席档案")
        verbose_name_plural = _("坐席档案")

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
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}#{self.object_id}"
