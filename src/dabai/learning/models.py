"""Versions of the filter model: trained files under ``$DABAI_VAR_DIR/filter-models/``, at most one active."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VersionStatus(models.TextChoices):
    TRAINING = "training", pgettext_lazy("filter model", "Training")
    CANDIDATE = "candidate", pgettext_lazy("filter model", "Candidate")
    ACTIVE = "active", pgettext_lazy("filter model", "Active")
    RETIRED = "retired", pgettext_lazy("filter model", "Retired")
    REJECTED = "rejected", pgettext_lazy("filter model", "Rejected")
    FAILED = "failed", pgettext_lazy("filter model", "Failed")


class FilterModelVersion(models.Model):
    """One trained model and how it measured against the model that was active when it was judged.

    No active row means the shipped default model reads messages.  ``previous`` is the version that was
    active before this one became active: rolling back activates it again (or the shipped default).
    """

    version = models.CharField(_("Version"), max_length=64, blank=True)
    file = models.CharField(_("Model file"), max_length=255, blank=True)
    status = models.CharField(
        _("Status"),
        max_length=12,
        choices=VersionStatus.choices,
        default=VersionStatus.TRAINING,
        db_index=True,
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Trained by"),
    )
    trained_at = models.DateTimeField(_("Trained at"), null=True, blank=True)
    corrections = models.PositiveIntegerField(_("Corrections learnt from"), default=0)
    training_records = models.PositiveIntegerField(_("Training records"), default=0)
    headline = models.JSONField(_("Headline figures"), default=dict, blank=True)
    metrics = models.JSONField(_("Full metrics"), default=dict, blank=True)
    baseline_version = models.CharField(_("Compared with"), max_length=64, blank=True)
    baseline_headline = models.JSONField(_("Figures of the model compared with"), default=dict, blank=True)
    regressions = models.JSONField(_("Figures made worse"), default=list, blank=True)
    error = models.TextField(_("Error"), blank=True)
    activated_at = models.DateTimeField(_("Activated at"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Activated by"),
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Previous active version"),
    )

    class Meta:
        verbose_name = _("Filter model version")
        verbose_name_plural = _("Filter model versions")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="learning_one_active_filter_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version or '…'} ({self.get_status_display()})"

    @property
    def usable(self) -> bool:
        """Trained and on disk: may be activated."""
        return bool(self.file) and self.status not in {VersionStatus.TRAINING, VersionStatus.FAILED}
