"""Social listening: what we watch for (watchlists), where we read (sources) and what we found (mentions).

A mention is a public post that names us without @-mentioning our account: nobody asked us anything, yet
the complaint is already in front of everyone. Negative or escalating mentions become public Weibo
conversations (20-minute SLA); a burst of mentions about one topic raises an alert to supervisors.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WatchKind(models.TextChoices):
    BRAND = "brand", _("Brand")
    PRODUCT = "product", _("Product")
    EXECUTIVE = "executive", _("Executive")
    COMPLAINT = "complaint", _("Complaint phrase")


class Watchlist(models.Model):
    name = models.CharField(_("Name"), max_length=100, unique=True)
    kind = models.CharField(_("Kind"), max_length=12, choices=WatchKind.choices, default=WatchKind.BRAND)
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Watchlist")
        verbose_name_plural = _("Watchlists")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WatchTerm(models.Model):
    """One thing to watch (its topic) and the ways people write it; traditional forms are added later."""

    watchlist = models.ForeignKey(Watchlist, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(
        _("Term"), max_length=100, help_text=_("Also the topic its matches are counted under.")
    )
    synonyms = models.TextField(_("Synonyms"), blank=True, help_text=_("One per line or comma-separated."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Watch term")
        verbose_name_plural = _("Watch terms")
        constraints = [models.UniqueConstraint(fields=["watchlist", "term"], name="listening_term_once")]

    def __str__(self) -> str:
        return self.term


class SourceKind(models.TextChoices):
    WEIBO = "weibo", _("Weibo posts (API page or export, JSON)")
    FEED = "feed", _("News or forum feed (RSS/Atom)")


class Source(models.Model):
    """Where public posts are read from: a URL (fetched with a timeout and a size limit) or a file path."""

    name = models.CharField(_("Name"), max_length=100, unique=True)
    kind = models.CharField(_("Kind"), max_length=10, choices=SourceKind.choices)
    url = models.CharField(_("URL or file path"), max_length=500)
    own_accounts = models.CharField(
        _("Our own accounts"),
        max_length=300,
        blank=True,
        help_text=_(
            "Comma-separated Weibo names; posts that @-mention them reach us through the Weibo channel."
        ),
    )
    is_active = models.BooleanField(_("Active"), default=True)
    interval_minutes = models.PositiveIntegerField(_("Read every (minutes)"), default=10)
    last_read_at = models.DateTimeField(_("Last read"), null=True, blank=True)
    last_report = models.JSONField(_("Last report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("Listening source")
        verbose_name_plural = _("Listening sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Mention(models.Model):
    """A public post that matched a watch term, with its author's public profile and reach."""

    key = models.CharField(max_length=200, unique=True, help_text="Source kind and the post's own id.")
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions"
    )
    origin = models.CharField(_("Origin"), max_length=10, choices=SourceKind.choices)
    url = models.CharField(_("Link"), max_length=500, blank=True)
    text = models.TextField(_("Text"))
    author_id = models.CharField(max_length=100, blank=True)
    author_name = models.CharField(_("Author"), max_length=100, blank=True)
    author_followers = models.PositiveIntegerField(_("Followers"), default=0)
    author_verified = models.BooleanField(_("Verified account"), default=False)
    author_description = models.CharField(_("Profile"), max_length=300, blank=True)
    reposts = models.PositiveIntegerField(_("Reposts"), default=0)
    comments = models.PositiveIntegerField(_("Comments"), default=0)
    likes = models.PositiveIntegerField(_("Likes"), default=0)
    published_at = models.DateTimeField(_("Published"), db_index=True)
    found_at = models.DateTimeField(_("Found"), auto_now_add=True, db_index=True)
    terms = models.JSONField(_("Matched terms"), default=list)
    topics = models.JSONField(_("Topics"), default=list)
    sentiment = models.CharField(_("Sentiment"), max_length=10, blank=True)
    sentiment_score = models.FloatField(default=0)
    escalation_risk = models.BooleanField(_("Escalation risk"), default=False)
    escalation_cues = models.JSONField(default=list)
    intent = models.CharField(max_length=32, blank=True)
    conversation = models.ForeignKey(
        "conversations.Conversation",
        verbose_name=_("Conversation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Mention")
        verbose_name_plural = _("Mentions")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.key

    @property
    def reach(self) -> int:
        """A rough audience: the author's followers plus the reposts' spread."""
        return self.author_followers + self.reposts * 100

    @property
    def needs_answer(self) -> bool:
        return self.sentiment == "negative" or self.escalation_risk


class MentionTopic(models.Model):
    """One row per (mention, topic): bursts are counted with one grouped query."""

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="topic_rows")
    topic = models.CharField(max_length=100)
    published_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mention", "topic"], name="listening_topic_once")]
        indexes = [models.Index(fields=["topic", "published_at"], name="listening_topic_time")]

    def __str__(self) -> str:
        return self.topic


class BurstAlert(models.Model):
    """Many more mentions of one topic in the last hour than usual: supervisors are told once per hour."""

    topic = models.CharField(_("Topic"), max_length=100)
    window_start = models.DateTimeField(_("Hour"))
    count = models.PositiveIntegerField(_("Mentions in the hour"))
    usual = models.FloatField(_("Usual per hour"))
    negative = models.PositiveIntegerField(_("Negative"), default=0)
    raised_at = models.DateTimeField(_("Raised"), auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Burst alert")
        verbose_name_plural = _("Burst alerts")
        ordering = ["-raised_at"]
        constraints = [models.UniqueConstraint(fields=["topic", "window_start"], name="listening_burst_once")]

    def __str__(self) -> str:
        return f"{self.topic} {self.window_start:%Y-%m-%d %H:%M}"


class PollChain(models.Model):
    """The one live chain of the periodic reading task; a newer chain retires older ones."""

    chain = models.CharField(max_length=32)
    ran_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.chain
