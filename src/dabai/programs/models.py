"""Programmes that bring the company to its customers (seed 003): training days, customer visits, meet-ups.

A programme is a series of sessions; people register for a session (staff through their account, customers
through a public page); organisers select, invite, check in, certify and learn. Invariants live here; the
workflows in ``services``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dabai.accounts.models import Department
from dabai.customers.models import Customer


class Kind(models.TextChoices):
    TRAINING = "training", _("Customer-experience training day")
    VISIT = "visit", _("Customer visit")
    MEETUP = "meetup", _("Customer meet-up")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Every month")
    BIMONTHLY = "bimonthly", _("Every two months")
    QUARTERLY = "quarterly", _("Every quarter")
    ONCE = "once", _("Once")


class Programme(models.Model):
    name = models.CharField(_("Name"), max_length=200)
    kind = models.CharField(_("Kind"), max_length=10, choices=Kind.choices, db_index=True)
    frequency = models.CharField(_("Frequency"), max_length=10, choices=Frequency.choices)
    description = models.TextField(_("Description"), blank=True)
    quotas = models.JSONField(
        _("Department quotas"),
        default=dict,
        blank=True,
        help_text=_('Most seats per department, by department slug, e.g. {"product": 4, "finance": 2}.'),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Programme")
        verbose_name_plural = _("Programmes")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class SessionStatus(models.TextChoices):
    OPEN = "open", _("Open for registration")
    SELECTED = "selected", _("Participants selected")
    DONE = "done", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Session(models.Model):
    """One occurrence of a programme: when (Asia/Shanghai), where, how many seats."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("Title"), max_length=200)
    starts_at = models.DateTimeField(_("Starts at"), db_index=True)
    ends_at = models.DateTimeField(_("Ends at"))
    place = models.CharField(_("Place"), max_length=200)
    room = models.CharField(_("Room"), max_length=100, blank=True)
    capacity = models.PositiveIntegerField(_("Seats"))
    status = models.CharField(
        _("Status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.OPEN, db_index=True
    )
    changes_since_last = models.TextField(
        _("What we changed since last time"),
        blank=True,
        help_text=_("Shown on the invitation: what the last session's feedback changed."),
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("Hours to accept a freed seat"),
        default=48,
        help_text=_("How long a waiting-list offer stays open."),
    )
    selection_seed = models.BigIntegerField(_("Selection seed"), null=True, blank=True)
    selection_log = models.JSONField(default=list, blank=True)
    draw_seed = models.BigIntegerField(_("Prize draw seed"), null=True, blank=True)
    draw_log = models.JSONField(default=list, blank=True)
    sequence = models.PositiveIntegerField(
        default=0, help_text=_("Calendar sequence number: each change sent to invitees counts one up.")
    )
    survey_id = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Session")
        verbose_name_plural = _("Sessions")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"

    @property
    def kind(self) -> str:
        return self.programme.kind


class AgendaKind(models.TextChoices):
    CLASSROOM = "classroom", _("Classroom")
    OBSERVATION = "observation", _("Side-by-side observation")
    DISCUSSION = "discussion", _("Discussion")
    QA = "qa", _("Questions and answers")
    BREAK = "break", _("Break")


class AgendaItem(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="agenda")
    starts_at = models.DateTimeField(_("Starts at"))
    ends_at = models.DateTimeField(_("Ends at"))
    kind = models.CharField(_("Kind"), max_length=12, choices=AgendaKind.choices)
    title = models.CharField(_("Title"), max_length=200)

    class Meta:
        verbose_name = _("Agenda item")
        verbose_name_plural = _("Agenda items")
        ordering = ["starts_at", "pk"]

    def __str__(self) -> str:
        return self.title


class RegStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    SELECTED = "selected", _("Selected")
    WAITING = "waiting", _("On the waiting list")
    OFFERED = "offered", _("Offered a freed seat")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")


# Statuses that hold one of the session's seats.
SEAT_HOLDING = (RegStatus.SELECTED, RegStatus.OFFERED, RegStatus.CONFIRMED, RegStatus.ATTENDED)


class Registration(models.Model):
    """One person on one session: a staff user, or an outside person (a customer) known by email or phone."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="programme_registrations",
    )
    person_key = models.CharField(max_length=255, help_text="user:<id>, email:<address> or phone:<number>")
    name = models.CharField(pgettext_lazy("person", "Name"), max_length=100)
    email = models.EmailField(_("Email"), blank=True)
    phone = models.CharField(_("Mobile phone"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="programme_registrations"
    )
    motivation = models.TextField(_("Why I want to take part"), blank=True)
    status = models.CharField(
        _("Status"), max_length=10, choices=RegStatus.choices, default=RegStatus.REGISTERED, db_index=True
    )
    first_timer = models.BooleanField(_("First time"), default=True)
    waiting_position = models.PositiveIntegerField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("Offer open until"), null=True, blank=True)
    token = models.CharField(max_length=64, unique=True)
    consent_at = models.DateTimeField(_("Consent given at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("Checked in at"), null=True, blank=True)
    observed_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="programme_observers",
    )
    sequence = models.PositiveIntegerField(default=0, help_text="Calendar sequence sent to this person.")
    invited_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    certificate_code = models.CharField(max_length=16, unique=True, null=True, blank=True)
    certificate_issued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Registration")
        verbose_name_plural = _("Registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person_key"], name="programs_one_registration_each")
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.session}"

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING


class Question(models.Model):
    """A meet-up attendee's question for the live Q&A; the asker stays anonymous to everyone else."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="questions")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="questions")
    body = models.CharField(_("Question"), max_length=500)
    votes = models.PositiveIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Question")
        verbose_name_plural = _("Questions")
        ordering = ["answered_at", "-votes", "created_at"]

    def __str__(self) -> str:
        return self.body[:40]


class QuestionVote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="upvotes")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="upvotes")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "registration"], name="programs_one_vote_each")
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} → {self.question_id}"


class DiscussionNote(models.Model):
    """What a session's discussion found: a topic and its conclusion, written by the organiser."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="notes")
    topic = models.CharField(pgettext_lazy("discussion", "Topic"), max_length=200)
    conclusion = models.TextField(_("Conclusion"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Discussion note")
        verbose_name_plural = _("Discussion notes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.topic


class CooperationIntention(models.Model):
    """Something a department agreed to take up; it becomes that department's follow-up."""

    note = models.ForeignKey(DiscussionNote, on_delete=models.CASCADE, related_name="intentions")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("Cooperation intention"))
    followup_id = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Cooperation intention")
        verbose_name_plural = _("Cooperation intentions")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.description[:40]


class VisitCustomer(models.Model):
    """A customer chosen for a visit session: why they were sampled, their consent, what they told us."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="visit_customers")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="programme_visits")
    sample_reason = models.CharField(_("Why chosen"), max_length=200)
    consent_at = models.DateTimeField(_("Consent given at"), null=True, blank=True)
    consent_note = models.CharField(_("How consent was given"), max_length=200, blank=True)
    feedback = models.TextField(_("What the customer told us"), blank=True)
    conversation_id = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Visited customer")
        verbose_name_plural = _("Visited customers")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "customer"], name="programs_visit_customer_once")
        ]

    def __str__(self) -> str:
        return str(self.customer)
