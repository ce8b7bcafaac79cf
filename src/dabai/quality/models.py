"""Quality judged by what happened to the customer: one outcome per finished conversation, and surveys."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import Team
from dabai.conversations.models import Conversation, Message
from dabai.core.choices import Channel
from dabai.customers.models import Customer


class Journey(models.TextChoices):
    IMPROVED = "improved", _("Improved")
    UNCHANGED = "unchanged", _("Unchanged")
    WORSENED = "worsened", _("Worsened")
    UNKNOWN = "", _("Not read yet")


class Outcome(models.Model):
    """What happened to the customer's problem, computed from the facts and recomputed when they change.

    One row per conversation that was resolved or closed at least once. It stays when the conversation is
    reopened (``reopened`` then says so). Durations are business seconds on routing's working calendar.
    """

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="outcome")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    team = models.ForeignKey(
        Team, verbose_name=_("Team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quality_outcomes",
    )
    intent = models.CharField(_("Topic"), max_length=32, blank=True, db_index=True)
    first_resolved_at = models.DateTimeField(_("First resolved at"), db_index=True)
    resolved_at = models.DateTimeField(_("Resolved at"), null=True, blank=True)
    window_ends_at = models.DateTimeField(_("Repeat-contact window ends"))
    first_contact_resolved = models.BooleanField(_("Resolved on first contact"), default=True)
    reopened = models.BooleanField(_("Reopened"), default=False)
    repeat_contacts = models.PositiveIntegerField(_("Repeat contacts"), default=0)
    repeat_channels = models.JSONField(_("Channels of repeat contacts"), default=list, blank=True)
    first_response_seconds = models.FloatField(_("Time to first human response"), null=True, blank=True)
    resolution_seconds = models.FloatField(_("Time to resolution"), null=True, blank=True)
    agents_touched = models.JSONField(_("Agents who handled it"), default=list, blank=True)
    teams_touched = models.JSONField(_("Teams who handled it"), default=list, blank=True)
    handoffs = models.PositiveSmallIntegerField(_("Handoffs"), default=0)
    bot_contained = models.BooleanField(_("Solved without an agent"), default=False)
    sentiment_first = models.CharField(_("Mood at first message"), max_length=10, blank=True)
    sentiment_last = models.CharField(_("Mood at last message"), max_length=10, blank=True)
    journey = models.CharField(
        _("Mood journey"), max_length=10, choices=Journey.choices, default=Journey.UNKNOWN, blank=True
    )
    csat = models.PositiveSmallIntegerField(_("Satisfaction (1–5)"), null=True, blank=True)
    effort = models.PositiveSmallIntegerField(_("Ease (1–5)"), null=True, blank=True)
    computed_at = models.DateTimeField(_("Computed at"), auto_now=True)

    class Meta:
        verbose_name = _("Outcome")
        verbose_name_plural = _("Outcomes")
        ordering = ["-first_resolved_at"]
        indexes = [
            models.Index(fields=["customer", "first_resolved_at"], name="outcome_customer_resolved"),
            models.Index(fields=["agent", "-first_resolved_at"], name="outcome_agent_recent"),
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} FCR={self.first_contact_resolved}"


class SurveyStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")


class Survey(models.Model):
    """One satisfaction survey after a resolution, sent on the customer's own channel as a one-time link."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="survey")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quality_surveys",
    )
    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(
        _("Status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.SENT
    )
    sent_at = models.DateTimeField(_("Sent at"), db_index=True)
    expires_at = models.DateTimeField(_("Link valid until"))
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("Message")
    )
    rating = models.PositiveSmallIntegerField(_("Satisfaction (1–5)"), null=True, blank=True)
    effort = models.PositiveSmallIntegerField(_("Ease (1–5)"), null=True, blank=True)
    comment = models.TextField(_("Comment"), blank=True)
    comment_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(_("Answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Satisfaction survey")
        verbose_name_plural = _("Satisfaction surveys")
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["customer", "-sent_at"], name="survey_customer_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="survey_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(effort__isnull=True) | models.Q(effort__gte=1, effort__lte=5),
                name="survey_effort_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.status} {self.rating or '-'}"
