"""Conversations, their messages, and what the filter found in each inbound message."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import Team
from dabai.core.choices import Channel
from dabai.customers.models import Customer


class Status(models.TextChoices):
    OPEN = "open", _("待处理")
    PENDING = "pending", _("等待客户")
    RESOLVED = "resolved", _("已解决")
    CLOSED = "closed", _("已关闭")


class Priority(models.IntegerChoices):
    LOW = 0, _("低")
    NORMAL = 1, _("普通")
    HIGH = 2, _("高")
    URGENT = 3, _("紧急")


class Conversation(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="conversations")
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    subject = models.CharField(_("主题"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(
        _("优先级"), choices=Priority.choices, default=Priority.NORMAL
    )
    is_public = models.BooleanField(_("公开"), default=False, help_text=_("例如微博上的公开评论或@提及。"))
    team = models.ForeignKey(
        Team,
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("最近消息"), db_index=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(_("首次响应"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    preview = models.CharField(
        max_length=200, blank=True, help_text="Masked start of the latest inbound message."
    )

    class Meta:
        verbose_name = _("会话")
        verbose_name_plural = _("会话")
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-last_message_at", "-id"], name="conv_status_recent"),
            models.Index(
                fields=["team", "status", "-last_message_at", "-id"], name="conv_team_status_recent"
            ),
            models.Index(
                fields=["assignee", "status", "-last_message_at", "-id"], name="conv_assignee_recent"
            ),
            models.Index(fields=["channel", "status", "-last_message_at", "-id"], name="conv_channel_recent"),
            models.Index(fields=["customer", "-last_message_at"], name="conv_customer_recent"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer} ({self.get_channel_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in {Status.OPEN, Status.PENDING}


class Direction(models.TextChoices):
    INBOUND = "inbound", _("客户来信")
    OUTBOUND = "outbound", _("回复")
    NOTE = "note", _("内部备注")


class DeliveryStatus(models.TextChoices):
    NONE = "", _("—")
    QUEUED = "queued", _("排队中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(
        _("渠道消息编号"), max_length=255, null=True, blank=True, help_text=_("同一渠道内唯一，用于去重。")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    body = models.TextField(_("内容"))
    raw_payload = models.JSONField(_("原始数据"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivery_status = models.CharField(
        _("送达状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.NONE, blank=True
    )

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(external_id__isnull=False),
                name="message_unique_external_id_per_channel",
            )
        ]
        indexes = [models.Index(fields=["conversation", "sent_at", "id"], name="msg_thread_order")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} #{self.pk}"


class Insight(models.Model):
    """The filter's reading of one inbound message; the columns keep badges and reports cheap."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="insight")
    sentiment = models.CharField(max_length=10, db_index=True)
    sentiment_score = models.FloatField(default=0)
    intent = models.CharField(max_length=32, blank=True, db_index=True)
    voice = models.CharField(max_length=16, blank=True)
    urgency = models.CharField(max_length=10, db_index=True)
    escalation_risk = models.BooleanField(default=False, db_index=True)
    is_spam = models.BooleanField(default=False)
    has_personal_data = models.BooleanField(default=False)
    masked_text = models.TextField(blank=True)
    analysis = models.JSONField(default=dict)
    model_version = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("洞察")
        verbose_name_plural = _("洞察")

    def __str__(self) -> str:
        return f"{self.sentiment}/{self.intent or '-'} #{self.message_id}"
