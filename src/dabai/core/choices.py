"""Vocabulary shared by every app: the channels a customer can reach us through."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    CHAT = "chat", _("在线客服")
    SMS = "sms", _("短信")
    PHONE = "phone", _("热线电话")
    WEIBO = "weibo", _("微博")
    WECHAT = "wechat", _("微信")
