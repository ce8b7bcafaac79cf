"""Vocabulary shared by every app: the channels a customer can reach us through."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Web chat")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Hotline")
    WEIBO = "weibo", _("Weibo")
    WECHAT = "wechat", _("WeChat")
    API = "api", _("API (custom channel)")
