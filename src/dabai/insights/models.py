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
    customer = models.ForeignKey(
        "customers.Customer", null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
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


# ------------------------------------------------------------------------------------------------ topics


class TopicKind(models.TextChoices):
    INTENT = "intent", _("Intent")
    DEFINED = "defined", _("Defined topic")
    DISCOVERED = "discovered", _("Discovered topic")


class Topic(models.Model):
    """What customers talk about, three ways: the filter's intent taxonomy (built in, one topic per intent),
    topics a VoC editor defines (keywords and synonyms, example messages) and clusters the portal discovers
    in recent messages (named by their top phrases; ``terms`` keeps the cluster's term weights so a re-run
    of the clustering finds the same topic again and its id stays stable).

    A discovered topic merged into another points at it (``merged_into``) and stops collecting cases; one
    promoted to a defined topic keeps its id and is matched by keywords from then on.
    """

    kind = models.CharField(_("Kind"), max_length=12, choices=TopicKind.choices, db_index=True)
    key = models.CharField(max_length=64, unique=True, help_text="intent:<intent>, defined:<n>, cluster:<n>")
    name = models.CharField(_("Name"), max_length=100)
    keywords = models.TextField(
        _("Keywords and synonyms"), blank=True, help_text=_("One group per line; words of a group by commas.")
    )
    examples = models.TextField(_("Example messages"), blank=True, help_text=_("One per line."))
    terms = models.JSONField(default=dict, blank=True, help_text="Top terms → weight (discovered topics).")
    size = models.PositiveIntegerField(default=0, help_text="Cases in the cluster at the last discovery.")
    is_active = models.BooleanField(_("Active"), default=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_topics"
    )
    renamed = models.BooleanField(default=False, help_text="An editor named it; discovery keeps the name.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Topic")
        verbose_name_plural = _("Topics")
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return self.name


class CaseTopic(models.Model):
    """A case's topic, one row per (conversation, topic); ``opened_at`` is copied for one-index trends."""

    # the case is rebuilt (deleted and inserted) when its conversation changes; its topics stay put
    case = models.ForeignKey(
        Case,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_column="conversation_id",
        related_name="topics",
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="assignments")
    opened_at = models.DateTimeField()
    source = models.CharField(max_length=12, choices=TopicKind.choices)
    score = models.FloatField(default=1.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "topic"], name="voc_case_topic_once"),
        ]
        indexes = [models.Index(fields=["topic", "opened_at"], name="voc_case_topic_time")]

    def __str__(self) -> str:
        return f"#{self.case_id} → {self.topic_id}"


class TopicFollow(models.Model):
    """A department follows a topic: it sees it first and gets it in its weekly digest."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.CASCADE, related_name="voc_follows"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="follows")
    followed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["department", "topic"], name="voc_follow_once"),
        ]

    def __str__(self) -> str:
        return f"{self.department_id} follows {self.topic_id}"


# --------------------------------------------------------------------------------------- emerging issues


class EmergingRun(models.Model):
    """One day's computation of what is rising: the front page and the digests read the latest run."""

    day = models.DateField(unique=True)
    computed_at = models.DateTimeField()
    window_end = models.DateTimeField()
    topics_tested = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"emerging issues of {self.day}"


class EmergingRise(models.Model):
    """A topic whose last 7 days are significantly above its previous 8 weeks (one-sided Poisson test)."""

    run = models.ForeignKey(EmergingRun, on_delete=models.CASCADE, related_name="rises")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    observed = models.PositiveIntegerField()
    baseline = models.FloatField()
    p_value = models.FloatField()
    weekly = models.JSONField(default=list, help_text="Cases per week, oldest first (the last is this week).")
    examples = models.JSONField(default=list, help_text="Newest case ids of this week.")

    class Meta:
        ordering = ["run", "rank"]
        constraints = [models.UniqueConstraint(fields=["run", "topic"], name="voc_rise_once")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.rank}: {self.topic_id}"


class DigestSent(models.Model):
    """A department's weekly digest was sent: the unique row makes it once per department and week."""

    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="Monday of the week.")
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["department", "week"], name="voc_digest_once")]

    def __str__(self) -> str:
        return f"digest {self.department_id} {self.week}"


class ScheduleChain(models.Model):
    """The live chain of a periodic task (a fresh worker starts a new one; older chains retire)."""

    name = models.CharField(max_length=40, unique=True)
    chain = models.CharField(max_length=32)
    ran_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


# ------------------------------------------------------------------------------------------------- news


class NewsItem(models.Model):
    """Centre news and announcements (new policies, product changes that will drive contacts)."""

    title = models.CharField(_("Title"), max_length=200)
    body = models.TextField(_("Text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_pinned = models.BooleanField(_("Pinned"), default=False)
    published_at = models.DateTimeField(_("Published"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("News item")
        verbose_name_plural = _("News")
        ordering = ["-is_pinned", "-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class NewsRead(models.Model):
    """Who has read a news item (unique readers make the read count)."""

    news = models.ForeignKey(NewsItem, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["news", "reader"], name="voc_news_read_once")]

    def __str__(self) -> str:
        return f"{self.news_id} read by {self.reader_id}"
