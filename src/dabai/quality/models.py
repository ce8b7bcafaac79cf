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


# ------------------------------------------------------------------------------------------------ reviews
# Sampled reviews replace 70-item checklists: a few outcome questions per conversation, yes / partly / no,
# each with a coaching note. Calibration reviews (several reviewers, same conversations) measure how much the
# reviewers agree and never count in an agent's figures.


class ReviewQuestion(models.Model):
    """One of the centre's (at most five) outcome questions, e.g. "问题解决了吗？"."""

    text = models.CharField(_("Question"), max_length=200)
    hint = models.CharField(_("Hint for reviewers"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("Order"), default=0)
    active = models.BooleanField(_("In use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Review question")
        verbose_name_plural = _("Review questions")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class Verdict(models.TextChoices):
    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


class RiskFlag(models.TextChoices):
    ESCALATION = "escalation", _("Escalation or complaint")
    LOW_CSAT = "low_csat", _("Low satisfaction (1–2★)")
    REOPENED = "reopened", _("Reopened or contacted again")
    LONG_HANDLING = "long_handling", _("Long handling time")
    WORSENED = "worsened", _("Mood worsened")
    RANDOM = "random", _("Random share")


class ReviewCycle(models.Model):
    """A review cycle: a sample of one period's resolved conversations, reproducible from its seed."""

    name = models.CharField(_("Name"), max_length=100)
    period_start = models.DateField(_("From"))
    period_end = models.DateField(_("To"))
    team = models.ForeignKey(
        Team, verbose_name=_("Team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    per_agent_per_week = models.PositiveSmallIntegerField(_("Conversations per agent per week"), default=5)
    random_share = models.PositiveSmallIntegerField(_("Random share (%)"), default=40)
    weights = models.JSONField(_("Risk weights"), default=dict)
    seed = models.PositiveIntegerField(_("Seed"))
    long_handling_seconds = models.FloatField(
        _("Long handling from (business seconds)"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("By")
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Review cycle")
        verbose_name_plural = _("Review cycles")
        ordering = ["-period_end", "-id"]

    def __str__(self) -> str:
        return self.name


class SampleItem(models.Model):
    """One sampled conversation, with why it was picked. Removed only with a reason (audited)."""

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="items")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(_("Why it was picked"), default=list)
    rank = models.PositiveSmallIntegerField(default=0)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removal_reason = models.CharField(_("Why it was removed"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Sampled conversation")
        verbose_name_plural = _("Sampled conversations")
        ordering = ["agent_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "conversation"], name="sample_item_once_per_cycle")
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id}#{self.conversation_id}"


class CalibrationRound(models.Model):
    """Several reviewers review the same conversations; their agreement is shown to supervisors only."""

    name = models.CharField(_("Name"), max_length=100)
    cycle = models.ForeignKey(
        ReviewCycle, null=True, blank=True, on_delete=models.SET_NULL, related_name="calibrations"
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("Reviewers")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Calibration round")
        verbose_name_plural = _("Calibration rounds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CalibrationItem(models.Model):
    round = models.ForeignKey(CalibrationRound, on_delete=models.CASCADE, related_name="items")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("Calibration conversation")
        verbose_name_plural = _("Calibration conversations")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "conversation"], name="calibration_item_once")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}#{self.conversation_id}"


class Review(models.Model):
    """One reviewer's review of one conversation: an answer per question and a coaching note.

    A review of a sampled conversation (``item``) reaches the agent; a calibration review
    (``calibration_item``) never does and never counts in their figures.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quality_reviews",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Reviewer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    item = models.OneToOneField(
        SampleItem, null=True, blank=True, on_delete=models.CASCADE, related_name="review"
    )
    calibration_item = models.ForeignKey(
        CalibrationItem, null=True, blank=True, on_delete=models.CASCADE, related_name="reviews"
    )
    coaching_note = models.TextField(_("Coaching note"), blank=True)
    submitted_at = models.DateTimeField(_("Reviewed at"))

    class Meta:
        verbose_name = _("Review")
        verbose_name_plural = _("Reviews")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["calibration_item", "reviewer"],
                condition=models.Q(calibration_item__isnull=False),
                name="calibration_review_once_per_reviewer",
            ),
            models.CheckConstraint(
                condition=models.Q(item__isnull=True) | models.Q(calibration_item__isnull=True),
                name="review_is_sampled_or_calibration",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} by {self.reviewer_id}"

    @property
    def is_calibration(self) -> bool:
        return self.calibration_item_id is not None


class ReviewAnswer(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(ReviewQuestion, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(_("Answer"), max_length=10, choices=Verdict.choices)
    note = models.TextField(_("Note"), blank=True)

    class Meta:
        verbose_name = _("Review answer")
        verbose_name_plural = _("Review answers")
        ordering = ["question__order", "question_id"]
        constraints = [models.UniqueConstraint(fields=["review", "question"], name="review_answer_once")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.verdict}"


# ------------------------------------------------------------------------------------------------- probes
# Channel probes (智能拨测): a synthetic message sent through each channel's real inbound path must come out
# as a stored, analysed message within a threshold; a failure alerts supervisors and shows on /healthz.


class ProbeStatus(models.TextChoices):
    PENDING = "pending", _("On its way")
    OK = "ok", _("OK")
    LATE = "late", _("Late")
    FAILED = "failed", _("Failed")


class ProbeRun(models.Model):
    """One probe through one channel: when it was sent, stored and analysed, and what went wrong."""

    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    token = models.CharField(max_length=40, unique=True)
    status = models.CharField(
        _("Status"), max_length=10, choices=ProbeStatus.choices, default=ProbeStatus.PENDING
    )
    sent_at = models.DateTimeField(_("Sent at"))
    deadline = models.DateTimeField(_("Due by"))
    stored_at = models.DateTimeField(_("Stored at"), null=True, blank=True)
    analysed_at = models.DateTimeField(_("Analysed at"), null=True, blank=True)
    error = models.CharField(_("Error"), max_length=500, blank=True)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("Channel probe")
        verbose_name_plural = _("Channel probes")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["channel", "-sent_at"], name="probe_channel_recent"),
            models.Index(fields=["status", "deadline"], name="probe_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.sent_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def latency_seconds(self) -> float | None:
        """From sending to the filter's reading: what the customer's message would have waited."""
        end = self.analysed_at or self.stored_at
        return (end - self.sent_at).total_seconds() if end else None


class ProbeAlert(models.Model):
    """An alert mailed to supervisors about a failing channel: at most one per channel per hour."""

    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    run = models.ForeignKey(ProbeRun, on_delete=models.CASCADE, related_name="alerts")
    sent_at = models.DateTimeField(_("Sent at"), db_index=True)
    recipients = models.PositiveIntegerField(_("Recipients"), default=0)

    class Meta:
        verbose_name = _("Probe alert")
        verbose_name_plural = _("Probe alerts")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.channel} {self.sent_at:%Y-%m-%d %H:%M}"


class ProbeSchedule(models.Model):
    """The probe chain the running worker owns (a newer worker's chain retires the older one)."""

    chain = models.CharField(max_length=32)
    ran_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.chain
