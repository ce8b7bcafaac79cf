from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# One line per channel: its sub-package holds ``adapter`` (see ``dabai.channels.adapter``).
ADAPTERS = (
    "dabai.channels.email",
    "dabai.channels.sms",
    "dabai.channels.phone",
    "dabai.channels.wechat",
    "dabai.channels.weibo",
    "dabai.channels.chat",
    "dabai.channels.api",
)


class CustomerChannelsConfig(AppConfig):
    """Channel adapters. Labelled ``customer_channels`` because Django Channels already owns ``channels``."""

    name = "dabai.channels"
    label = "customer_channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from dabai.channels import adapter, receivers  # noqa: F401 (models are ready only now)

        for path in ADAPTERS:
            adapter.register(import_module(path).adapter)
