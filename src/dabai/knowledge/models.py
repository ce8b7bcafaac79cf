"""Articles customers and agents read, the search index over them, and what self-service taught us.

The search index is one row per indexed document (an article today, messages in the benchmark) holding
jieba-segmented, normalised text; the database keeps its own full-text structure in sync with those rows
(an FTS5 table kept by triggers on SQLite, a generated ``tsvector`` column with a GIN index on PostgreSQL,
both created in migration 0002).
"""

from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dabai.conversations.models import Conversation, Message


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Category(models.Model):
    name = models.CharField(_("Name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    slug = models.SlugField(unique=True)
    description = models.CharField(_("Description"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(_("Position"), default=0)

    class Meta:
        verbose_name = _("Category")
        verbose_name_plural = _("Categories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def name_for(self, language: str) -> str:
        return self.name_en if language == Language.EN and self.name_en else self.name


class Tag(models.Model):
    name = models.CharField(_("Name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("Tag")
        verbose_name_plural = _("Tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """One answer in one language; translations point at the original through ``translation_of``."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("Category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    slug = models.SlugField(max_length=120, unique=True)
    language = models.CharField(
        _("Language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("Translation of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
    )
    title = models.CharField(_("Title"), max_length=200)
    summary = models.CharField(_("Summary"), max_length=300, blank=True)
    body = models.TextField(_("Body"))
    status = models.CharField(
        _("Status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT, db_index=True
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("Tags"), blank=True, related_name="articles")
    related = models.ManyToManyField("self", verbose_name=_("Related articles"), blank=True)
    source_conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("Version"), default=1)
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    # Help-centre page views and bot answers: what the chat widget suggests first.
    view_count = models.PositiveIntegerField(_("Views"), default=0, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(_("Published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Article")
        verbose_name_plural = _("Articles")
        ordering = ["category__position", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleVersion(models.Model):
    """The article as it was after each save: the history behind "who changed this answer, and how"."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Article version")
        verbose_name_plural = _("Article versions")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="article_version_once")]

    def __str__(self) -> str:
        return f"{self.article} v{self.number}"


class ArticleDraft(models.Model):
    """A change to a published article by someone who may not publish: it waits for a publisher.

    The help centre keeps showing the published article until a publisher publishes the draft (it then
    becomes the article's next version) or rejects it.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="drafts")
    state = models.CharField(
        _("State"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    base_version = models.PositiveIntegerField(help_text="The article version the draft was written against.")
    title = models.CharField(_("Title"), max_length=200)
    summary = models.CharField(_("Summary"), max_length=300, blank=True)
    body = models.TextField(_("Body"))
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=10, choices=Language.choices, default=Language.ZH_HANS)
    translation_of = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = models.JSONField(default=list, blank=True)
    related = models.JSONField(default=list, blank=True, help_text="Primary keys of related articles.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Article draft")
        verbose_name_plural = _("Article drafts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.article} ({self.get_state_display()})"


class Attachment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("File"), upload_to="knowledge/%Y/%m/")
    name = models.CharField(_("Name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True, help_text="Sniffed from the content.")
    size = models.PositiveIntegerField(default=0)
    approved = models.BooleanField(
        default=True, help_text="Attachments to a published article by someone who may not publish wait."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Attachment")
        verbose_name_plural = _("Attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def download_name(self) -> str:
        """The name the reader's browser saves the file under: its title with the stored extension."""
        extension = PurePosixPath(self.file.name).suffix
        return self.name if self.name.lower().endswith(extension.lower()) else f"{self.name}{extension}"


class Synonym(models.Model):
    """A group of words customers use for the same thing (退款 退钱 退费), editable by admins."""

    words = models.CharField(
        _("Words"), max_length=255, help_text=_("Words with the same meaning, separated by spaces or commas.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Synonym group")
        verbose_name_plural = _("Synonym groups")

    def __str__(self) -> str:
        return self.words

    def word_list(self) -> list[str]:
        return [w for w in self.words.replace(",", " ").replace("，", " ").replace("、", " ").split() if w]


class SearchEntry(models.Model):
    """One document in the full-text index, stored as space-separated normalised jieba tokens."""

    class Kind(models.TextChoices):
        ARTICLE = "article", _("Article")
        MESSAGE = "message", _("Message")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField()
    language = models.CharField(max_length=10, default=Language.ZH_HANS)
    public = models.BooleanField(default=False, help_text="Visible in the help centre and to the bot.")
    title_tokens = models.TextField(blank=True)
    body_tokens = models.TextField(blank=True)
    length = models.PositiveIntegerField(default=0, help_text="Weighted token count, for BM25.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_once")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id}"


class Feedback(models.Model):
    """A reader's "was this helpful?" answer."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    comment = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=10, default="help")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Feedback")
        verbose_name_plural = _("Feedback")

    def __str__(self) -> str:
        return f"{self.article_id}: {self.helpful}"


class SearchLog(models.Model):
    """Every help-centre, bot and desk search, so weak answers can be grouped into content gaps."""

    query = models.CharField(max_length=255)
    topic = models.CharField(max_length=100, db_index=True, blank=True)
    source = models.CharField(max_length=10, db_index=True)
    result_count = models.PositiveIntegerField()
    top_score = models.FloatField(default=0)
    top_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_gap = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Search log entry")
        verbose_name_plural = _("Search log")

    def __str__(self) -> str:
        return self.query


class BotPolicy(models.Model):
    """The bot's switches; one row, edited by admins (confidence thresholds, channels)."""

    enabled = models.BooleanField(_("Enabled"), default=True)
    channels = models.CharField(
        _("Channels"), max_length=100, default="chat,wechat", help_text=_("Comma-separated channel codes.")
    )
    min_confidence = models.FloatField(
        _("Minimum confidence to answer"),
        default=0.5,
        help_text=_("Between 0 and 1; below it the bot hands over."),
    )
    hand_over_on_negative = models.BooleanField(_("Hand over on anger or escalation risk"), default=True)

    class Meta:
        verbose_name = _("Bot policy")
        verbose_name_plural = _("Bot policy")

    def __str__(self) -> str:
        return str(_("Bot policy"))

    def channel_list(self) -> list[str]:
        return [c.strip() for c in self.channels.split(",") if c.strip()]


class BotEvent(models.Model):
    """Every bot answer and every hand-over, with the reason: the bot's audit trail."""

    class Action(models.TextChoices):
        ANSWER = "answer", _("Answered")
        HAND_OVER = "hand_over", _("Handed over")
        FEEDBACK = "feedback", _("Customer feedback")
        QUEUE_UPDATE = "queue", _("Told where the customer is in the queue")
        CONTACT = "contact", _("Noted a contact for a call back")

    class Reason(models.TextChoices):
        CONFIDENT = "confident", _("Confident answer")
        LOW_CONFIDENCE = "low_confidence", _("Low confidence")
        ANGER = "anger", _("Anger")
        ESCALATION_RISK = "escalation_risk", _("Escalation risk")
        ASKED_FOR_HUMAN = "asked_for_human", _("Customer asked for a person")
        NOT_HELPFUL = "not_helpful", _("Answer did not help")
        HELPFUL = "helpful", _("Answer helped")
        GREETING = "greeting", _("Greeting without a question")
        CONTACT_LEFT = "contact_left", _("Customer left a phone number or email")
        INSTANT = "instant", _("Instant answer (a declared incident)")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="bot_events")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices, db_index=True)
    reason = models.CharField(max_length=20, choices=Reason.choices, db_index=True)
    confidence = models.FloatField(default=0)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    topic = models.CharField(max_length=100, blank=True, db_index=True)
    # What the bot said (an answer card, the queue message): the widget draws cards from it.
    reply = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A hand-over outside the team's opening hours: the customer was offered to leave a contact.
    out_of_hours = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Bot event")
        verbose_name_plural = _("Bot events")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action}/{self.reason} #{self.conversation_id}"
