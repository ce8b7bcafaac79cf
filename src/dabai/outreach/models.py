"""Reaching out first: health scores, campaigns, incidents and care moments.

Invariants live here (one recipient row per customer and campaign, one score row per customer and day, one
incident link per conversation); the workflows are in ``services``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dabai.core.choices import Channel
from dabai.customers.models import Customer


class ContactPreference(models.Model):
    """How a customer wants to be addressed and whether they still want to hear from us.

    Unsubscribing (退订 / TD by SMS, the email link, a request at the desk) stops every marketing and care
    message on every channel at once; transactional and incident notices still go out.
    """

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="contact_preference")
    form_of_address = models.CharField(
        _("Form of address"), max_length=10, blank=True, help_text=_("For example 先生 or 女士.")
    )
    unsubscribed_at = models.DateTimeField(_("Unsubscribed"), null=True, blank=True, db_index=True)
    unsubscribed_via = models.CharField(_("Unsubscribed through"), max_length=30, blank=True)
    care_opt_in = models.BooleanField(
        _("Wants care messages"), default=False, help_text=_("Festival greetings and reminders.")
    )

    class Meta:
        verbose_name = _("Contact preference")
        verbose_name_plural = _("Contact preferences")

    def __str__(self) -> str:
        return str(self.customer_id)


class HealthScore(models.Model):
    """A customer's current risk of leaving (0 calm – 100 about to go), with every factor's contribution."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="health")
    score = models.PositiveSmallIntegerField(_("Risk"), db_index=True)
    value = models.FloatField(_("Value"), default=0)
    factors = models.JSONField(_("Why"), default=list)
    computed_at = models.DateTimeField(_("Computed"))

    class Meta:
        verbose_name = _("Health score")
        verbose_name_plural = _("Health scores")
        indexes = [models.Index(fields=["-score", "-value"], name="outreach_risk_order")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score}"


class HealthHistory(models.Model):
    """One row per customer per day the score changed."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    score = models.PositiveSmallIntegerField()
    factors = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "day"], name="outreach_history_daily")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.day}: {self.score}"


class ReachOut(models.Model):
    """A supervisor asked a senior agent to contact an at-risk customer before they call us."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("Risk at the time"))
    factors = models.JSONField(default=list)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("Reached out"), db_index=True)

    class Meta:
        verbose_name = _("Reach-out")
        verbose_name_plural = _("Reach-outs")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.at:%Y-%m-%d}"


class CampaignKind(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    TRANSACTIONAL = "transactional", _("Transactional notice")
    INCIDENT = "incident", _("Incident notice")
    CARE = "care", _("Care moment")


# Counted against the frequency cap and refused to unsubscribed customers.
CAPPED_KINDS = (CampaignKind.MARKETING, CampaignKind.CARE)


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class WeChatTemplate(models.Model):
    """A WeChat template message approved for the Official Account, with how a campaign fills its fields.

    Outside WeChat's 48-hour customer-service window only template messages may be sent. ``fields`` maps
    each template field (``first``, ``keyword1``…, ``remark``) to its text, where ``{name}`` / ``{称呼}`` is
    how we address the customer (王先生), ``{full_name}`` their name, ``{message}`` the campaign's WeChat
    text, ``{title}`` the campaign's name and ``{date}`` the sending day.
    """

    name = models.CharField(_("Name"), max_length=100)
    template_id = models.CharField(_("Template ID"), max_length=100)
    fields = models.JSONField(
        _("Fields"),
        default=dict,
        help_text=_('For example {"first": "{name}您好", "keyword1": "{title}", "remark": "{message}"}.'),
    )
    url = models.URLField(_("Link"), blank=True, help_text=_("The page a tap on the message opens."))
    for_incidents = models.BooleanField(
        _("Use for incident notices"), default=False, help_text=_("Outage notices outside the window.")
    )

    class Meta:
        verbose_name = _("WeChat template")
        verbose_name_plural = _("WeChat templates")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A segment × a message per channel × a schedule."""

    name = models.CharField(_("Name"), max_length=100)
    kind = models.CharField(
        _("Kind"), max_length=15, choices=CampaignKind.choices, default=CampaignKind.MARKETING
    )
    status = models.CharField(
        _("Status"),
        max_length=10,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        db_index=True,
    )
    segment = models.JSONField(_("Segment"), default=dict, blank=True)
    sms_text = models.TextField(_("SMS"), blank=True)
    wechat_text = models.TextField(_("WeChat message"), blank=True)
    email_subject = models.CharField(_("Email subject"), max_length=200, blank=True)
    email_text = models.TextField(_("Email"), blank=True)
    scheduled_at = models.DateTimeField(_("Send at"), null=True, blank=True)
    started_at = models.DateTimeField(_("Started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("Finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    incident = models.ForeignKey(
        "Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    wechat_template = models.ForeignKey(
        WeChatTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("WeChat template"),
        help_text=_("Sent to followers who have not written in 48 hours; without one they are skipped."),
    )

    class Meta:
        verbose_name = _("Campaign")
        verbose_name_plural = _("Campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_capped(self) -> bool:
        return self.kind in CAPPED_KINDS

    def text_for(self, channel: str) -> str:
        return {
            Channel.SMS: self.sms_text,
            Channel.WECHAT: self.wechat_text,
            Channel.EMAIL: self.email_text,
        }.get(channel, "")


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENT = "sent", _("Handed to the channel")
    SKIPPED = "skipped", _("Not sent")


# Why a recipient was not sent anything, as the campaign's results page says it.
SKIP_REASONS = {
    "unsubscribed": _("unsubscribed"),
    "no_care_opt_in": _("did not ask for care messages"),
    "frequency_cap": _("frequency cap reached"),
    "no_address": _("no address on the campaign's channels"),
    "cancelled": _("campaign cancelled"),
    "outside_wechat_window": _("no WeChat message in 48 hours and no template"),
    "wechat_unfollowed": _("unfollowed the WeChat account"),
}


class Recipient(models.Model):
    """One customer of one campaign: claimed once, so nobody gets the same campaign twice."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices, blank=True)
    status = models.CharField(
        _("Status"), max_length=10, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    skip_reason = models.CharField(_("Why not sent"), max_length=40, blank=True)
    conversation = models.ForeignKey(
        "conversations.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # On WeChat: a customer-service message (inside the 48-hour window) or the template message it became.
    wechat_template = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("Recipient")
        verbose_name_plural = _("Recipients")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="outreach_once_per_campaign")
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "channel"], name="outreach_recipient_queue"),
            models.Index(fields=["customer", "sent_at"], name="outreach_recipient_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id} {self.status}"


class Incident(models.Model):
    """An outage: customers of the areas and service who contact us are answered at once and grouped."""

    title = models.CharField(_("Title"), max_length=200)
    service = models.CharField(_("Service"), max_length=100)
    areas = models.CharField(
        _("Areas"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated; customers tagged with one are affected."),
    )
    keywords = models.CharField(
        _("Keywords"), max_length=300, blank=True, help_text=_("Comma-separated words that mean this outage.")
    )
    message = models.TextField(_("Answer to affected customers"))
    started_at = models.DateTimeField(_("Started"))
    resolved_at = models.DateTimeField(_("Resolved"), null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Incident")
        verbose_name_plural = _("Incidents")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.resolved_at is None


class IncidentLink(models.Model):
    """A conversation about an incident (grouped, so one update reaches them all)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)
    answered = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "conversation"], name="outreach_incident_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.conversation_id}"


class CareKind(models.TextChoices):
    FESTIVAL = "festival", _("Festival greeting")
    CONTRACT_END = "contract_end", _("Contract ending")
    WARRANTY_END = "warranty_end", _("Warranty ending")
    PACKAGE_STUCK = "package_stuck", _("Package stuck")


class CareReminder(models.Model):
    """A dated fact about a customer that deserves a word before it bites (from an import or a feed)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("Kind"), max_length=15, choices=CareKind.choices)
    reference = models.CharField(_("Reference"), max_length=100, help_text=_("Contract, product or waybill."))
    due_on = models.DateField(_("Date"))
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("Care reminder")
        verbose_name_plural = _("Care reminders")
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "reference"], name="outreach_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class Chain(models.Model):
    """The live chain of a periodic outreach task (scores, care moments, due campaigns)."""

    name = models.CharField(max_length=30, unique=True)
    chain = models.CharField(max_length=32)
    ran_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
