"""One customer, many ways to reach us: the base of "one history per customer"."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dabai.core.choices import Channel


class Tier(models.TextChoices):
    REGULAR = "regular", _("Regular")
    VIP = "vip", _("VIP")
    PREMIUM = "premium", _("Premium")


class CustomerTag(models.Model):
    name = models.CharField(_("Name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("Customer tag")
        verbose_name_plural = _("Customer tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Gender(models.TextChoices):
    """As a channel profile states it (a Weibo profile's gender); unknown unless somebody said so."""

    UNKNOWN = "", _("Unknown")
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Customer(models.Model):
    display_name = models.CharField(_("Name"), max_length=100, db_index=True)
    gender = models.CharField(
        _("Gender"),
        max_length=10,
        choices=Gender.choices,
        default=Gender.UNKNOWN,
        blank=True,
        help_text=_("Used only to address the customer politely (杜女士 / 杜先生)."),
    )
    tier = models.CharField(
        _("Tier"), max_length=20, choices=Tier.choices, default=Tier.REGULAR, db_index=True
    )
    tags = models.ManyToManyField(CustomerTag, verbose_name=_("Tags"), blank=True, related_name="customers")
    notes = models.TextField(_("Notes"), blank=True)
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Portal account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_customers"
    )
    is_probe = models.BooleanField(
        _("Channel probe"),
        default=False,
        db_index=True,
        help_text=_("A synthetic customer the channel probes write as: left out of every report."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Customer")
        verbose_name_plural = _("Customers")
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class ChannelIdentity(models.Model):
    """A handle the customer used on one channel: phone number, email, WeChat openid, Weibo uid…

    Unique per channel, so the same handle always resolves to the same customer.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("Channel ID"), max_length=255)
    handle = models.CharField(_("Display name"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Channel identity")
        verbose_name_plural = _("Channel identities")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="identity_unique_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.handle or self.external_id}"


class CustomerMerge(models.Model):
    """One merge of a duplicate customer into another, with what moved, so it can be undone exactly."""

    source = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_out")
    target = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges_in")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identity_ids = models.JSONField(default=list)
    conversation_ids = models.JSONField(default=list)
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Customer merge")
        verbose_name_plural = _("Customer merges")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"
