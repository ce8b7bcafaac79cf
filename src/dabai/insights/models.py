"""The voice-of-the-customer portal's own records: one searchable case per conversation, saved searches and
share links.

``Case`` is the portal's read model of a conversation: masked text as jieba tokens for full-text search (the
database keeps an FTS5 table on SQLite and a GIN-indexed ``tsvector`` on PostgreSQL in step with it, see
migration 0002) and the facets departments filter on, copied from the filter's insights so a faceted count
is one ``GROUP BY`` over one table. Nothing here holds unmasked personal data.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dabai.conversations.models import Conversation


class Case(models.Model):
    conversation = models.OneToOneField(
        Conversation, primary_key=True, on_delete=models.CASCADE, related_name="voc_case"
    )
    channel = models.CharField(_("Channel"), max_length=20)
    status = models.CharField(_("Status"), max_length=20)
    opened_at = models.DateTimeField(_("Opened at"), db_index=True)
    intent = models.CharField(_("Intent"), max_length=32, blank=True)
    voice = models.CharField(_("Voice"), max_length=16, blank=True)
    sentiment = models.CharField(_("Sentiment"), max_length=10, blank=True)
    escalation = models.BooleanField(_("Escalation risk"), default=False)
    product = models.CharField(_("Product"), max_length=40, blank=True)
    tier = models.CharField(_("Customer tier"), max_length=20, blank=True)
    has_follow_up = models.BooleanField(_("Has follow-up"), default=False)
    message_count = models.PositiveIntegerField(default=0)
    summary = models.CharField(
        max_length=200, blank=True, help_text="Masked start of the first customer message."
    )
    text = models.TextField(
        blank=True, help_text="What the customer wrote, masked (for snippets and exports)."
    )
    title_tokens = models.TextField(blank=True)
    body_tokens = models.TextField(blank=True)
    length = models.PositiveIntegerField(default=0, help_text="Weighted token count, for BM25.")
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Case")
        verbose_name_plural = _("Cases")
        indexes = [
            models.Index(fields=["-opened_at", "-conversation"], name="voc_case_recent"),
            models.Index(fields=["intent", "opened_at"], name="voc_case_intent_time"),
        ]

    def __str__(self) -> str:
        return f"case #{self.pk}"


class SavedSearch(models.Model):
    """A named search (query and facets, as the library's query string) kept by its owner."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voc_searches")
    name = models.CharField(_("Name"), max_length=100)
    query_string = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Saved search")
        verbose_name_plural = _("Saved searches")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CaseShare(models.Model):
    """A link to a case for colleagues: opening it still needs a portal reader, and shows the masked case."""

    token = models.CharField(max_length=32, unique=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("Note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    opened_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Shared case")
        verbose_name_plural = _("Shared cases")

    def __str__(self) -> str:
        return f"share of #{self.conversation_id}"
