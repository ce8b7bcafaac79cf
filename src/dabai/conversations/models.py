"""Conversations, their messages, and what the filter found in each inbound message."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import Team
from dabai.core.choices import Channel
from dabai.customers.models import Customer


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")
    NORMAL = 1, _("Normal")
    HIGH = 2, _("High")
    URGENT = 3, _("Urgent")


class ConversationTag(models.Model):
    """A label agents put on conversations (退款, 投诉升级, 回访) to find and count them; one row per name."""

    name = models.CharField(_("Name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("Conversation tag")
        verbose_name_plural = _("Conversation tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConversationQuerySet(models.QuerySet):
    def awake(self) -> "ConversationQuerySet":
        """What the open views list: not snoozed (a snooze ends at its time, or when the customer writes)."""
        return self.filter(snoozed_until__isnull=True)

    def snoozed(self) -> "ConversationQuerySet":
        return self.filter(snoozed_until__isnull=False)


class Conversation(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="conversations")
    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    subject = models.CharField(_("Subject"), max_length=255, blank=True)
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(
        _("Priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    is_public = models.BooleanField(
        _("Public"), default=False, help_text=_("For example a public Weibo comment or @-mention.")
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("Team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("Last message"), db_index=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(_("First response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("Resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    preview = models.CharField(
        max_length=200, blank=True, help_text="Masked start of the latest inbound message."
    )
    snoozed_until = models.DateTimeField(
        _("Snoozed until"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Out of the open views until then, or until the customer writes."),
    )
    tags = models.ManyToManyField(
        ConversationTag, verbose_name=_("Tags"), blank=True, related_name="conversations"
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("Merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="absorbed",
    )

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("Conversation")
        verbose_name_plural = _("Conversations")
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-last_message_at", "-id"], name="conv_status_recent"),
            models.Index(
                fields=["team", "status", "-last_message_at", "-id"], name="conv_team_status_recent"
            ),
            models.Index(
                fields=["assignee", "status", "-last_message_at", "-id"], name="conv_assignee_recent"
            ),
            models.Index(fields=["channel", "status", "-last_message_at", "-id"], name="conv_channel_recent"),
            models.Index(fields=["customer", "-last_message_at"], name="conv_customer_recent"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer} ({self.get_channel_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in {Status.OPEN, Status.PENDING}

    @property
    def is_snoozed(self) -> bool:
        return self.snoozed_until is not None


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Customer message")
    OUTBOUND = "outbound", _("Reply")
    NOTE = "note", _("Internal note")


class DeliveryStatus(models.TextChoices):
    NONE = "", _("—")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("Direction"), max_length=10, choices=Direction.choices)
    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(
        _("Channel message ID"),
        max_length=255,
        null=True,
        blank=True,
        help_text=_("Unique within the channel; used to store each message once."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    body = models.TextField(_("Body"))
    raw_payload = models.JSONField(_("Raw payload"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("Sent at"), db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivery_status = models.CharField(
        _("Delivery"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.NONE, blank=True
    )

    class Meta:
        verbose_name = _("Message")
        verbose_name_plural = _("Messages")
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(external_id__isnull=False),
                name="message_unique_external_id_per_channel",
            )
        ]
        indexes = [models.Index(fields=["conversation", "sent_at", "id"], name="msg_thread_order")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} #{self.pk}"


class Insight(models.Model):
    """The filter's reading of one inbound message; the columns keep badges and reports cheap."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="insight")
    sentiment = models.CharField(max_length=10, db_index=True)
    sentiment_score = models.FloatField(default=0)
    intent = models.CharField(max_length=32, blank=True, db_index=True)
    voice = models.CharField(max_length=16, blank=True)
    urgency = models.CharField(max_length=10, db_index=True)
    escalation_risk = models.BooleanField(default=False, db_index=True)
    is_spam = models.BooleanField(default=False)
    has_personal_data = models.BooleanField(default=False)
    masked_text = models.TextField(blank=True)
    analysis = models.JSONField(default=dict)
    model_version = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Insight")
        verbose_name_plural = _("Insights")

    def __str__(self) -> str:
        return f"{self.sentiment}/{self.intent or '-'} #{self.message_id}"


class CorrectedSignal(models.TextChoices):
    SENTIMENT = "sentiment", _("Sentiment")
    INTENT = "intent", _("Intent")
    VOICE = "voice", _("Voice")
    ESCALATION = "escalation", _("Escalation risk")
    SPAM = "spam", _("Spam")


class LabelCorrection(models.Model):
    """An agent's correction of one of the filter's badges on one message; the latest per signal wins.

    Rows are never updated: the history stays, and the newest row per (message, signal) is what the insight
    shows and what the next model learns from.  Yes/no signals store ``"true"`` or ``"false"``.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="label_corrections")
    signal = models.CharField(_("Signal"), max_length=16, choices=CorrectedSignal.choices)
    value = models.CharField(_("Corrected label"), max_length=32)
    previous = models.CharField(_("Label before"), max_length=32, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("By")
    )
    corrected_at = models.DateTimeField(_("Corrected at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Label correction")
        verbose_name_plural = _("Label corrections")
        indexes = [models.Index(fields=["message", "signal", "-id"], name="correction_latest")]

    def __str__(self) -> str:
        return f"{self.signal}={self.value} #{self.message_id}"


class UndoableMove(models.Model):
    """What a merge and a split share: the messages they moved, and who undid the move and when."""

    moved_message_ids = models.JSONField(default=list)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("Undone at"), null=True, blank=True)

    class Meta:
        abstract = True


class ConversationMerge(UndoableMove):
    """One merge of two conversations of a customer, kept so a supervisor can undo it exactly.

    ``moved_message_ids`` are the absorbed conversation's messages that moved to the surviving one;
    ``absorbed_state`` and ``surviving_state`` are the columns the merge changed, as they were before.
    """

    surviving = models.ForeignKey(
        Conversation, verbose_name=_("Surviving"), on_delete=models.CASCADE, related_name="merges_in"
    )
    absorbed = models.ForeignKey(
        Conversation, verbose_name=_("Absorbed"), on_delete=models.CASCADE, related_name="merges_out"
    )
    absorbed_state = models.JSONField(default=dict)
    surviving_state = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("By"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(_("Merged at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Conversation merge")
        verbose_name_plural = _("Conversation merges")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.absorbed_id} → #{self.surviving_id}"


class ConversationSplit(UndoableMove):
    """Messages split off one conversation into a new one of the same customer and channel, kept for undo."""

    source = models.ForeignKey(
        Conversation, verbose_name=_("Split from"), on_delete=models.CASCADE, related_name="splits_out"
    )
    created = models.ForeignKey(
        Conversation, verbose_name=_("New conversation"), on_delete=models.CASCADE, related_name="splits_in"
    )
    source_state = models.JSONField(default=dict)
    split_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("By"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    split_at = models.DateTimeField(_("Split at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Conversation split")
        verbose_name_plural = _("Conversation splits")
        ordering = ["-split_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.source_id} → #{self.created_id}"


class SnoozeSweep(models.Model):
    """The one live chain of the snooze sweep (it wakes what a lost task did not); a newer chain wins."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    chain = models.CharField(max_length=32)
    swept_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"snooze sweep {self.chain}"
