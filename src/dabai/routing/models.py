"""Routing and SLAs: who can take what, how fast we promised to answer, and the record of every choice."""

from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import Team
from dabai.conversations.models import Conversation, Priority
from dabai.core.choices import Channel
from dabai.customers.models import Customer, Tier


class SkillKind(models.TextChoices):
    INTENT = "intent", _("Topic")
    LANGUAGE = "language", _("Language")
    CHANNEL = "channel", _("Channel")


class Skill(models.Model):
    """Something an agent is good at: a topic (the filter's intent), a language or a channel."""

    kind = models.CharField(_("Kind"), max_length=10, choices=SkillKind.choices)
    code = models.CharField(_("Code"), max_length=32, help_text=_("Intent label, language code or channel."))
    name = models.CharField(_("Name"), max_length=100)

    class Meta:
        verbose_name = _("Skill")
        verbose_name_plural = _("Skills")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="skill_unique_kind_code")]

    def __str__(self) -> str:
        return self.name


class AgentState(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BREAK = "break", _("On a break")
    TRAINING = "training", _("In training")
    OFFLINE = "offline", _("Offline")


class AgentRouting(models.Model):
    """An agent's routing seat: skills, capacity per channel, expert seat (专家席) and availability."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing")
    skills = models.ManyToManyField(Skill, verbose_name=_("Skills"), blank=True, related_name="agents")
    is_expert_seat = models.BooleanField(
        _("Expert seat"), default=False, help_text=_("Takes top-tier customers and complaint cases first.")
    )
    state = models.CharField(
        _("State"), max_length=10, choices=AgentState.choices, default=AgentState.AVAILABLE, db_index=True
    )
    default_capacity = models.PositiveSmallIntegerField(
        _("Capacity per channel"), default=5, help_text=_("Open conversations at once on each channel.")
    )
    channel_capacity = models.JSONField(
        _("Capacity by channel"),
        default=dict,
        blank=True,
        help_text=_('Overrides per channel, e.g. {"chat": 3, "email": 20}; 0 means never on that channel.'),
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Agent routing seat")
        verbose_name_plural = _("Agent routing seats")

    def __str__(self) -> str:
        return str(self.user)

    def capacity_for(self, channel: str) -> int:
        return int(self.channel_capacity.get(channel, self.default_capacity))


class TierPolicy(models.Model):
    """How a customer earns a tier (loyalty and spend) and whether that tier goes to expert seats."""

    tier = models.CharField(_("Tier"), max_length=20, choices=Tier.choices, unique=True)
    label = models.CharField(_("Label"), max_length=50, help_text=_("What the centre calls it, e.g. 全球通."))
    rank = models.PositiveSmallIntegerField(
        _("Rank"), default=0, help_text=_("Higher ranks are checked first.")
    )
    min_annual_spend = models.DecimalField(
        _("Minimum yearly spend (CNY)"), max_digits=12, decimal_places=2, default=0
    )
    min_years = models.PositiveSmallIntegerField(_("Minimum years as a customer"), default=0)
    routes_to_expert_seat = models.BooleanField(_("Route to expert seats"), default=False)

    class Meta:
        verbose_name = _("Tier policy")
        verbose_name_plural = _("Tier policies")
        ordering = ["-rank"]

    def __str__(self) -> str:
        return self.label


class TierSource(models.TextChoices):
    RULE = "rule", _("Tier rule")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("Set by hand")


class CustomerValue(models.Model):
    """Loyalty and spend behind a customer's tier; rules never overwrite hand-set or imported tiers."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="value")
    annual_spend = models.DecimalField(_("Yearly spend (CNY)"), max_digits=12, decimal_places=2, default=0)
    customer_since = models.DateField(_("Customer since"), null=True, blank=True)
    tier_source = models.CharField(
        _("Tier set by"), max_length=10, choices=TierSource.choices, default=TierSource.RULE
    )

    class Meta:
        verbose_name = _("Customer value")
        verbose_name_plural = _("Customer values")

    def __str__(self) -> str:
        return str(self.customer)


class SlaPolicy(models.Model):
    """Answer-time targets for a channel, optionally narrowed by priority, tier and public visibility.

    The most specific active policy wins; targets are minutes of business time unless ``always_open``.
    """

    name = models.CharField(_("Name"), max_length=100)
    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    priority = models.PositiveSmallIntegerField(
        _("Priority"), choices=Priority.choices, null=True, blank=True, help_text=_("Empty: any priority.")
    )
    tier = models.CharField(
        _("Tier"), max_length=20, choices=Tier.choices, blank=True, help_text=_("Empty: any tier.")
    )
    public_only = models.BooleanField(_("Public posts only"), default=False)
    first_response_minutes = models.PositiveIntegerField(_("First response (minutes)"))
    next_response_minutes = models.PositiveIntegerField(_("Next response (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("Resolution (minutes)"))
    always_open = models.BooleanField(
        _("24/7"), default=False, help_text=_("Count every hour, not business hours.")
    )
    warn_before_minutes = models.PositiveIntegerField(_("Warn before breach (minutes)"), default=5)
    is_active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["channel", "name"]

    def __str__(self) -> str:
        return self.name


class BusinessHours(models.Model):
    """Opening hours of a team (or the centre's default when ``team`` is empty) in its time zone."""

    team = models.OneToOneField(
        Team, verbose_name=_("Team"), null=True, blank=True, on_delete=models.CASCADE, related_name="hours"
    )
    time_zone = models.CharField(_("Time zone"), max_length=50, default="Asia/Shanghai")
    opens = models.TimeField(_("Opens"), default=time(9, 0))
    closes = models.TimeField(_("Closes"), default=time(18, 0))

    class Meta:
        verbose_name = _("Business hours")
        verbose_name_plural = _("Business hours")

    def __str__(self) -> str:
        return f"{self.team or _('Default')} {self.opens:%H:%M}–{self.closes:%H:%M} {self.time_zone}"


class CalendarDay(models.Model):
    """A day admins set by hand: a holiday or make-up workday for years the library does not know yet."""

    date = models.DateField(_("Date"), unique=True)
    is_workday = models.BooleanField(
        _("Workday"), help_text=_("Ticked: a make-up workday (调休); else a holiday.")
    )
    name = models.CharField(_("Name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("Calendar day")
        verbose_name_plural = _("Calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


class SlaClock(models.Model):
    """One promise to one conversation. Pausing stores the business time left; resuming recomputes due_at.

    ``breached_at`` is set by the sweep when a running clock passes due_at; the clock keeps running until the
    answer comes, then ends as ``breached`` (late) or ``met``.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="sla_clocks")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("Kind"), max_length=20, choices=ClockKind.choices)
    state = models.CharField(
        _("State"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING
    )
    target_minutes = models.PositiveIntegerField()
    always_open = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.FloatField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.REGULAR)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            models.Index(fields=["state", "due_at"], name="slaclock_state_due"),
            models.Index(fields=["state", "warn_at"], name="slaclock_state_warn"),
            models.Index(fields=["conversation", "state"], name="slaclock_conv_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.conversation_id}"


class ConversationSla(models.Model):
    """The inbox's view of a conversation's nearest deadline, kept in one row so sorting stays cheap."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="sla")
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_kind = models.CharField(max_length=20, choices=ClockKind.choices, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    is_paused = models.BooleanField(default=False)
    breached = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("Conversation SLA")
        verbose_name_plural = _("Conversation SLAs")

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.next_due_at}"


class SlaBreach(models.Model):
    """A promise broken: escalated to a supervisor, with the reason recorded for the report."""

    clock = models.OneToOneField(SlaClock, on_delete=models.CASCADE, related_name="breach")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="sla_breaches")
    at = models.DateTimeField(db_index=True)
    reason = models.CharField(_("Reason"), max_length=200)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("SLA breach")
        verbose_name_plural = _("SLA breaches")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.clock} {self.at:%Y-%m-%d %H:%M}"


class RoutingRule(models.TextChoices):
    SKILL = "skill", _("Skill match")
    EXPERT = "expert", _("Expert seat for top tier")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    ROUND_ROBIN = "round_robin", _("Round robin")
    QUEUED = "queued", _("Queued: nobody free")
    REASSIGNED = "reassigned", _("Reassigned: agent offline")
    COMPLAINT = "complaint", _("Complaint case owner")


class RoutingDecision(models.Model):
    """Why a conversation went to whom (or stayed queued): the answer to "why did I get this one?"."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="routing_decisions")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.CharField(_("Rule"), max_length=20, choices=RoutingRule.choices)
    reason = models.CharField(_("Reason"), max_length=300)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("Routing decision")
        verbose_name_plural = _("Routing decisions")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["conversation", "-at"], name="routing_decision_conv")]

    def __str__(self) -> str:
        return f"#{self.conversation_id} → {self.agent or '-'} ({self.rule})"


class ComplaintStage(models.TextChoices):
    RECEIVED = "received", _("Received")
    INVESTIGATING = "investigating", _("Investigating")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Confirmed with the customer")


class ComplaintCase(models.Model):
    """A hard complaint (差异化投诉处理): a senior owner, stages and a tighter deadline than the channel's."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="complaint")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="complaints")
    stage = models.CharField(
        _("Stage"), max_length=15, choices=ComplaintStage.choices, default=ComplaintStage.RECEIVED
    )
    triggers = models.JSONField(_("Why it is a complaint"), default=list)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Senior owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_complaints",
    )
    opened_at = models.DateTimeField(_("Opened at"))
    due_at = models.DateTimeField(_("Resolve by"))
    resolved_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Complaint case")
        verbose_name_plural = _("Complaint cases")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.get_stage_display()}"


class SweepChain(models.Model):
    """The one live chain of the minute SLA sweep; a worker restart starts a new one, the old retires."""

    name = models.CharField(max_length=20, unique=True, default="sla")
    chain = models.CharField(max_length=32)
    swept_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SLA sweep")
        verbose_name_plural = _("SLA sweeps")

    def __str__(self) -> str:
        return f"{self.name} {self.swept_at}"
