"""Reusable surveys: a questionnaire, one-time invitations, and the answers that come back.

A programme session, a conversation or the centre itself can own a survey (``purpose`` + ``subject_ref``), so
training days, meet-ups and quality share one builder, one answer page and one results page.

Anonymity is a property of the stored rows, not of a page: a response to an anonymous survey has no link to
its invitation and keeps only the day it was given, so no join or export can say who answered.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dabai.customers.models import Customer


class QuestionKind(models.TextChoices):
    RATING = "rating", _("Rating 1–5")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    NPS = "nps", _("Recommendation 0–10 (NPS)")
    TEXT = "text", _("Free text")


CHOICE_KINDS = {QuestionKind.SINGLE, QuestionKind.MULTIPLE}


class Survey(models.Model):
    title = models.CharField(_("Title"), max_length=200)
    intro = models.TextField(_("Introduction"), blank=True)
    anonymous = models.BooleanField(
        _("Anonymous"), default=False, help_text=_("Answers are stored without who gave them.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_surveys",
    )
    is_open = models.BooleanField(_("Open for answers"), default=True)
    auto_remind = models.BooleanField(
        _("Remind automatically"),
        default=False,
        help_text=_("Who has not answered gets up to two reminders, two days apart."),
    )
    purpose = models.CharField(
        _("Purpose"), max_length=40, blank=True, db_index=True, help_text=_("e.g. programs.session")
    )
    subject_ref = models.CharField(
        _("Belongs to"), max_length=200, blank=True, db_index=True, help_text=_("e.g. session:12")
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Survey")
        verbose_name_plural = _("Surveys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(_("Kind"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("Question"), max_length=500)
    required = models.BooleanField(_("Required"), default=True)
    order = models.PositiveIntegerField(_("Order"), default=0)
    choices = models.JSONField(_("Choices"), default=list, blank=True)

    class Meta:
        verbose_name = _("Question")
        verbose_name_plural = _("Questions")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def field_name(self) -> str:
        """The name of this question's input on the answer page and its key in ``submit_response``."""
        return f"q{self.pk}"


class Invitation(models.Model):
    """One person's one-time way in: a signed token (pk + a random nonce), answered at most once."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.EmailField(_("Email"), blank=True)
    name = models.CharField(_("Name"), max_length=100, blank=True)
    nonce = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("Link valid until"))
    subject = models.CharField(max_length=200, blank=True, help_text="Subject of the invitation email.")
    body = models.TextField(blank=True, help_text="Text of the invitation email (reminders repeat it).")
    sent_at = models.DateTimeField(_("Sent at"), null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("Reminders sent"), default=0)
    answered_at = models.DateTimeField(_("Answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Invitation")
        verbose_name_plural = _("Invitations")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.user_id:
            return str(self.user)
        if self.customer_id:
            return str(self.customer)
        return self.email


class Response(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        Invitation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response",
        help_text="Empty for anonymous surveys: nothing links an answer to who gave it.",
    )
    submitted_on = models.DateField(_("Answered on"), db_index=True)
    submitted_at = models.DateTimeField(
        _("Answered at"), null=True, blank=True, help_text="Empty for anonymous surveys (the day only)."
    )

    class Meta:
        verbose_name = _("Response")
        verbose_name_plural = _("Responses")
        ordering = ["submitted_on", "id"]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.pk} {self.submitted_on}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    number = models.SmallIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)
    sentiment = models.CharField(max_length=10, blank=True, help_text="The filter's reading of a free text.")

    class Meta:
        verbose_name = _("Answer")
        verbose_name_plural = _("Answers")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.number if self.number is not None else self.choices or self.text}"


class ReminderChain(models.Model):
    """The live chain of the periodic reminder task (each worker start begins one; older ones retire)."""

    name = models.CharField(max_length=40, unique=True)
    chain = models.CharField(max_length=32)
    ran_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
