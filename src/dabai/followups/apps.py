from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "dabai.followups"
    verbose_name = _("Follow-ups")

    def ready(self) -> None:
        from dabai.followups import receivers  # noqa: F401  (note mentions, the overdue sweep)
