"""Canned replies (macros) and @-mentions in internal notes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import Team
from dabai.conversations.models import Message, Status


class MacroScope(models.TextChoices):
    CENTRE = "centre", _("Whole centre")
    TEAM = "team", _("Team")
    PERSONAL = "personal", _("Personal")


class MacroAssignment(models.TextChoices):
    KEEP = "", _("Leave as it is")
    SELF = "self", _("Assign to me")
    QUEUE = "queue", _("Back to the queue")


class Macro(models.Model):
    """A canned reply with variables ({customer_name}, {order_number}, {agent_name}) and, like a Zendesk
    macro, actions applied when it is used: a status, tags, an assignment (to the agent, back to the queue,
    or to another team's queue).

    The scope follows from the owner columns: a team macro has a team, a personal one an owner, a centre-wide
    one neither; never both.
    """

    title = models.CharField(_("Title"), max_length=100)
    body = models.TextField(_("Text"))
    team = models.ForeignKey(
        Team, verbose_name=_("Team"), null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_status = models.CharField(
        _("Then set status"), max_length=20, choices=Status.choices, blank=True, default=""
    )
    add_tags = models.JSONField(_("Then add tags"), default=list, blank=True)
    assignment = models.CharField(
        _("Then assign"), max_length=10, choices=MacroAssignment.choices, blank=True, default=""
    )
    assign_team = models.ForeignKey(
        Team,
        verbose_name=_("Then hand to team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    use_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Canned reply")
        verbose_name_plural = _("Canned replies")
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=True) | Q(owner__isnull=True), name="macro_team_or_owner_not_both"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope(self) -> str:
        if self.owner_id:
            return MacroScope.PERSONAL
        if self.team_id:
            return MacroScope.TEAM
        return MacroScope.CENTRE

    def get_scope_display(self) -> str:
        return str(MacroScope(self.scope).label)

    @property
    def has_actions(self) -> bool:
        return bool(self.set_status or self.add_tags or self.assignment or self.assign_team_id)


class Mention(models.Model):
    """A colleague named with @ in an internal note; unread until they open the conversation."""

    note = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Mention")
        verbose_name_plural = _("Mentions")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["note", "user"], name="mention_once_per_note")]
        indexes = [models.Index(fields=["user", "read_at"], name="mention_user_unread")]

    def __str__(self) -> str:
        return f"@{self.user} #{self.note_id}"
