"""What the channel adapters keep beside conversations: raw deliveries, email threading, chat visitors,
call records, subscriptions, delivery attempts and bulk imports."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dabai.core.choices import Channel
from dabai.customers.models import Customer


class PayloadStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Dead letter: retries used up")


class InboundPayload(models.Model):
    """Every delivery exactly as it arrived, stored before it is parsed, so nothing is ever lost.

    A parser bug or a database hiccup leaves the row ``failed`` with its next attempt due at
    ``next_attempt_at`` (one retry chain with back-off); after the last attempt it is a ``dead`` letter that
    an admin can read and requeue.
    """

    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    source = models.CharField(_("Source"), max_length=40, help_text="webhook, imap, upload, poller…")
    raw = models.BinaryField(_("Raw payload"))
    meta = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("Status"), max_length=10, choices=PayloadStatus.choices, default=PayloadStatus.RECEIVED
    )
    error = models.TextField(_("Error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("Attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("Next attempt at"), null=True, blank=True)
    received_at = models.DateTimeField(_("Received at"), auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payloads",
        db_index=False,  # partial, below
    )

    class Meta:
        verbose_name = _("Inbound payload")
        verbose_name_plural = _("Inbound payloads")
        # Every delivery is one INSERT into this table, by the doors, and every index is one more insert in
        # it. So each index covers only the rows its queries look for: a stored delivery enters the primary
        # key and ``payload_waiting`` alone (the drain's claim, ``more_to_drain``, the sweep's late ones);
        # failed, dead and rejected payloads (the retry chains, the sweep's lost retries, the admin's filters)
        # and the link to the stored message (a deleted message's SET NULL) come later, or never, to most.
        indexes = [
            models.Index(
                fields=["received_at", "id"],
                name="payload_waiting",
                condition=models.Q(status="received"),
            ),
            models.Index(
                fields=["status", "next_attempt_at"],
                name="payload_attention",
                condition=models.Q(status__in=["failed", "dead", "rejected"]),
            ),
            models.Index(
                fields=["message"], name="payload_message", condition=models.Q(message__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.source} #{self.pk} ({self.status})"


class DrainRequest(models.Model):
    """At most one row: a drain of received payloads is queued (since ``queued_at``).

    A burst of a thousand webhooks then enqueues one task, not a thousand; the drain deletes the row when it
    starts, so whatever arrives after that asks for the next one.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    queued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"drain queued at {self.queued_at:%H:%M:%S}"


class SeenNonce(models.Model):
    """A (timestamp, nonce) pair a signed callback used, kept while its timestamp is fresh, so a captured
    request cannot be replayed with another body. The unique constraint makes the check hold across
    processes; the sweep forgets pairs older than the window."""

    channel = models.CharField(max_length=20, choices=Channel.choices)
    timestamp = models.BigIntegerField()
    nonce = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the body first seen with this pair.")
    seen_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "timestamp", "nonce"], name="seen_nonce_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.timestamp}/{self.nonce}"


class EmailHeader(models.Model):
    """The threading headers of one email, inbound or sent by us, so replies find their conversation."""

    message = models.OneToOneField(
        "conversations.Message", on_delete=models.CASCADE, related_name="email_header"
    )
    rfc_message_id = models.CharField("Message-ID", max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    subject = models.CharField(max_length=255, blank=True)
    from_address = models.CharField(max_length=255, blank=True)
    to_address = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.rfc_message_id


class Attachment(models.Model):
    message = models.ForeignKey("conversations.Message", on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("File name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="channels/attachments/%Y/%m/")

    class Meta:
        verbose_name = _("Attachment")
        verbose_name_plural = _("Attachments")

    def __str__(self) -> str:
        return self.filename


class MailboxState(models.Model):
    """How far an IMAP mailbox has been read (UIDVALIDITY + last UID), so polling resumes after a crash."""

    name = models.CharField(max_length=255, unique=True)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    polled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_uid}"


class ChatVisitor(models.Model):
    """A web-chat visitor, known by a signed token; optionally an email to answer to once they leave.

    The customer record comes with the first message: a visitor who opens the widget and never writes leaves
    no customer behind.
    """

    token = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="chat_visitors", null=True, blank=True
    )
    name = models.CharField(_("Name"), max_length=100, blank=True)
    email = models.EmailField(_("Email"), blank=True)
    phone = models.CharField(_("Phone"), max_length=30, blank=True)
    connections = models.PositiveIntegerField(default=0)
    last_seen_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Chat visitor")
        verbose_name_plural = _("Chat visitors")

    def __str__(self) -> str:
        return f"visitor {self.token[:8]}"


class Subscription(models.Model):
    """Whether a handle still wants to hear from us: WeChat follow/unfollow, SMS 退订."""

    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(max_length=255)
    subscribed = models.BooleanField(default=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Subscription")
        verbose_name_plural = _("Subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="subscription_unique_handle")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id} {'on' if self.subscribed else 'off'}"


class AccessToken(models.Model):
    """A provider access token shared by every worker process until it expires (WeChat, Weibo)."""

    name = models.CharField(max_length=100, unique=True)
    token = models.CharField(max_length=512)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """Sending one reply: attempts, the provider's id and the last error shown to the agent."""

    message = models.OneToOneField("conversations.Message", on_delete=models.CASCADE, related_name="delivery")
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(_("Last error"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Delivery")
        verbose_name_plural = _("Deliveries")

    def __str__(self) -> str:
        return f"delivery of #{self.message_id}"


class CallRecord(models.Model):
    """One hotline call: who called, how long, which agent, the recording and the ASR transcript."""

    message = models.OneToOneField("conversations.Message", on_delete=models.CASCADE, related_name="call")
    call_id = models.CharField(max_length=100, unique=True)
    caller = models.CharField(_("Caller number"), max_length=30)
    duration_seconds = models.PositiveIntegerField(_("Duration (seconds)"), default=0)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    recording_url = models.URLField(_("Recording"), max_length=500, blank=True)
    transcript = models.JSONField(default=list, blank=True, help_text="[{speaker, text, start}]")
    started_at = models.DateTimeField(_("Started at"))

    class Meta:
        verbose_name = _("Call record")
        verbose_name_plural = _("Call records")

    def __str__(self) -> str:
        return self.call_id


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class ImportJob(models.Model):
    """A bulk import of historic conversations; ``next_line`` is the resume point after a crash.

    The rows are shared out over ``shard_count`` shards (``ImportShard``) that import side by side; the job's
    figures add theirs up, its ``next_line`` is the lowest of theirs and it is done when they all are.
    """

    source = models.FileField(upload_to="channels/imports/%Y/%m/")
    name = models.CharField(_("File name"), max_length=255)
    format = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total_lines = models.PositiveIntegerField(default=0)
    next_line = models.PositiveIntegerField(default=1)
    shard_count = models.PositiveSmallIntegerField(default=1)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{line, error}]")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Import")
        verbose_name_plural = _("Imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def percent(self) -> int:
        if not self.total_lines:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, round(100 * (self.next_line - 1) / self.total_lines))


class ImportShard(models.Model):
    """The rows of an import whose channel and customer fall to ``number``: one process imports them in
    file order, committing ``next_line`` (its own resume point) with every chunk. A customer's rows (and so
    their conversations) are always in the same shard, so two shards do not race on one of them."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="shards")
    number = models.PositiveSmallIntegerField()
    next_line = models.PositiveIntegerField(default=1)
    done = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="import_shard_once_per_job")]
        ordering = ["job", "number"]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.number}"


class ImportedConversation(models.Model):
    """Maps a conversation key from an import file to the conversation it became (re-runs reuse it)."""

    key = models.CharField(max_length=255, unique=True)
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return self.key


class PeriodicRun(models.Model):
    """When a self-re-enqueuing channel task (IMAP poll, sweep) is next due; stale means its chain died."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.next_run_at:%H:%M:%S}"
