"""Follow-ups that departments own, their log, @-mentions of department members on cases, and in-app notices.

A ``FollowUp`` is the promise "someone outside the service centre will do something about this": product fixes
a bug many customers report, finance changes a refund rule. It is owned by a department (and optionally one
person there), linked to the cases that show the problem, and closed with a resolution note that goes back to
the agents of those cases so they can tell the customers (closing the loop).

Nothing here holds unmasked customer data: titles, descriptions, comments, resolution notes and the question
of a mention are masked when written (``services``), since departments read them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import Department
from dabai.conversations.models import Conversation, Message


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    WONT_DO = "wont_do", _("Won't do")


ACTIVE = (Status.OPEN, Status.IN_PROGRESS)
CLOSED = (Status.DONE, Status.WONT_DO)


class Source(models.TextChoices):
    CASE = "case", _("Case")
    TOPIC = "topic", _("Topic")
    EMERGING = "emerging", _("Emerging issue")
    PROGRAMME = "programme", _("Programme")
    MENTION = "mention", _("Mention")


class FollowUp(models.Model):
    title = models.CharField(_("Title"), max_length=200)
    description = models.TextField(_("Description"), blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("Department"), on_delete=models.PROTECT, related_name="followups"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_followups",
    )
    due = models.DateField(_("Due date"), null=True, blank=True)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    resolution_note = models.TextField(_("Resolution note"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opened_followups",
    )
    conversations = models.ManyToManyField(
        Conversation, verbose_name=_("Cases"), blank=True, related_name="followups"
    )
    # What it is about: the portal's topic when one matches (``services`` resolves "topic:<id>", a topic's key
    # such as "intent:billing" or a bare intent), and the key as given, kept for follow-ups opened before a
    # topic existed.
    topic = models.ForeignKey(
        "insights.Topic",
        verbose_name=_("Topic"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
    )
    topic_key = models.CharField(_("Topic key"), max_length=64, blank=True, db_index=True)
    source = models.CharField(_("Source"), max_length=20, choices=Source.choices, default=Source.CASE)
    source_ref = models.CharField(_("Source reference"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("Opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)
    # Overdue escalation runs at most once a day per follow-up: the day of the last one.
    escalated_on = models.DateField(_("Escalated on"), null=True, blank=True)
    escalation_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Follow-up")
        verbose_name_plural = _("Follow-ups")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "due"], name="followup_dept_queue"),
            models.Index(fields=["status", "due"], name="followup_status_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE


class EventKind(models.TextChoices):
    OPENED = "opened", _("Follow-up opened")
    STATUS = "status", _("Status changed")
    COMMENT = "comment", _("Comment")
    REPLY = "reply", _("Department reply")
    OWNER = "owner", _("Owner changed")
    DUE = "due", _("Due date changed")
    LINKED = "linked", _("Cases linked")
    ESCALATED = "escalated", _("Escalated (overdue)")
    NOTIFIED = "notified", _("Agents notified")


class FollowUpEvent(models.Model):
    """One line of a follow-up's log: append-only, newest last."""

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Follow-up event")
        verbose_name_plural = _("Follow-up events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.followup_id}"

    @property
    def from_label(self) -> str:
        return str(Status(self.from_status).label) if self.from_status in Status.values else self.from_status

    @property
    def to_label(self) -> str:
        return str(Status(self.to_status).label) if self.to_status in Status.values else self.to_status


class CaseMention(models.Model):
    """An agent asked a department member about a case ("everyone is customer service").

    The agent's question is an internal note on the conversation (``note``); the member reads the masked
    thread in the portal and answers with an internal note (``answer``) the agent may turn into the reply.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="department_mentions"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_mentions"
    )
    mentioned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    question = models.TextField(_("Question"), help_text="The note's text, masked for the department.")
    answer = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Case mention")
        verbose_name_plural = _("Case mentions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["note", "member"], condition=Q(note__isnull=False), name="case_mention_once_per_note"
            )
        ]
        indexes = [models.Index(fields=["member", "answered_at"], name="case_mention_member_open")]

    def __str__(self) -> str:
        return f"@{self.member_id} on #{self.conversation_id}"


class NoticeKind(models.TextChoices):
    ASSIGNED = "assigned", _("A follow-up for you")
    OPENED = "opened", _("A new follow-up for your department")
    REPLY = "reply", _("New reply on a follow-up")
    OVERDUE = "overdue", _("Follow-up overdue")
    DONE = "done", _("Follow-up done")
    WONT_DO = "wont_do", _("Follow-up closed without change")
    MENTION = "mention", _("You were mentioned on a case")
    ANSWERED = "answered", _("Your question was answered")


class Notice(models.Model):
    """An in-app notice to one person; the text is masked (it may be read outside the desk)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    followup = models.ForeignKey(FollowUp, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    mention = models.ForeignKey(
        CaseMention, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(blank=True)
    draft = models.TextField(blank=True, help_text="A prefilled message the agent may send to the customer.")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Notice")
        verbose_name_plural = _("Notices")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_recipient_unread")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class EscalationChain(models.Model):
    """The current chain of the daily overdue sweep (a worker restart starts a new one; old ones retire)."""

    chain = models.CharField(max_length=64)
    swept_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.chain
