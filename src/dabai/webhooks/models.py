"""Outbound webhooks: endpoints subscribed to events, the events themselves (numbered per conversation), one
delivery per event and endpoint, and every attempt of it.

An event is stored in the same transaction as the change it announces; its deliveries are attempted by tasks
after commit, never in the request. A delivery keeps its event's id (``webhook-id``) through every retry and
replay, so a receiver can tell a retry from a new event.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    CONVERSATION_CREATED = "conversation.created", _("Conversation created")
    CONVERSATION_ASSIGNED = "conversation.assigned", _("Conversation assigned")
    CONVERSATION_STATUS_CHANGED = "conversation.status_changed", _("Conversation status changed")
    MESSAGE_RECEIVED = "message.received", _("Customer message received")
    MESSAGE_SENT = "message.sent", _("Reply sent")
    MESSAGE_DELIVERY_FAILED = "message.delivery_failed", _("Reply delivery failed")
    INSIGHT_STORED = "insight.stored", _("Escalation risk or anger read in a message")
    SLA_WARNING = "sla.warning", _("SLA deadline near")
    SLA_BREACH = "sla.breach", _("SLA deadline passed")
    COMPLAINT_OPENED = "complaint.opened", _("Complaint case opened")
    FOLLOWUP_CHANGED = "followup.changed", _("Follow-up opened, moved along or commented on")
    SURVEY_ANSWERED = "survey.answered", _("Survey answered")


class WebhookPolicy(models.Model):
    """The centre's webhook settings (one row)."""

    allow_private_addresses = models.BooleanField(
        _("Allow private addresses"),
        default=False,
        help_text=_(
            "Deliver to URLs on loopback, link-local or private networks. Off in production: a webhook URL "
            "must not reach into the centre's own network."
        ),
    )

    class Meta:
        verbose_name = _("Webhook settings")
        verbose_name_plural = _("Webhook settings")

    def __str__(self) -> str:
        return str(_("Webhook settings"))


class Endpoint(models.Model):
    name = models.CharField(_("Name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("Events"), default=list, blank=True, help_text=_("Empty: every event."))
    secret = models.CharField(_("Signing secret"), max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("Active"), default=True)
    disabled_at = models.DateTimeField(_("Disabled at"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(_("Why disabled"), max_length=200, blank=True, editable=False)
    failing_since = models.DateTimeField(_("Failing since"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Webhook endpoint")
        verbose_name_plural = _("Webhook endpoints")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class Event(models.Model):
    uid = models.CharField(_("Event id"), max_length=40, unique=True, help_text="webhook-id")
    type = models.CharField(_("Type"), max_length=40, choices=EventType.choices, db_index=True)
    conversation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    sequence = models.PositiveBigIntegerField(
        null=True, blank=True, help_text=_("Order of the conversation's events (rises, may skip).")
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Webhook event")
        verbose_name_plural = _("Webhook events")

    def __str__(self) -> str:
        return f"{self.type} {self.uid}"


class ConversationSequence(models.Model):
    """The last event number given to a conversation; the row lock orders concurrent emitters."""

    conversation_id = models.BigIntegerField(primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"#{self.conversation_id}: {self.last}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    conversation_id = models.BigIntegerField(null=True, blank=True)
    sequence = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(
        _("Status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("Attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("Next attempt at"),
        null=True,
        blank=True,
        help_text=_("Empty while an earlier event of the same conversation is on its way."),
    )
    leased_until = models.DateTimeField(
        null=True, blank=True, help_text="An attempt is under way until then."
    )
    last_status_code = models.PositiveSmallIntegerField(_("Last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("Last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("Delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Webhook delivery")
        verbose_name_plural = _("Webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_once_per_endpoint")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["endpoint", "conversation_id", "status", "sequence"], name="delivery_order"),
            models.Index(fields=["endpoint", "status", "-id"], name="delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.status})"


class Attempt(models.Model):
    """One try of one delivery: what the receiver answered (a snippet at most), how fast."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_snippet = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    retry_after_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook attempt")
        verbose_name_plural = _("Webhook attempts")
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"


class SweepChain(models.Model):
    """The one live chain of the webhook sweep (a newer worker's chain retires an older one)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    chain = models.CharField(max_length=32)
    swept_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"webhook sweep {self.chain}"
