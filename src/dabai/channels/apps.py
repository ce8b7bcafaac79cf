from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomerChannelsConfig(AppConfig):
    """Channel adapters. Labelled ``customer_channels`` because Django Channels already owns ``channels``."""

    name = "dabai.channels"
    label = "customer_channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from dabai.channels import email, phone, receivers, sms, wechat, weibo  # noqa: F401 (registration)
