from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from dabai.learning import services
from dabai.learning.models import FilterModelVersion, VersionStatus


@admin.register(FilterModelVersion)
class FilterModelVersionAdmin(admin.ModelAdmin):
    """Choose the active model here (one at a time); rolling back re-activates the previous one."""

    list_display = (
        "id",
        "version",
        "status",
        "trained_at",
        "corrections",
        "baseline_version",
        "activated_at",
        "activated_by",
        "previous",
    )
    list_filter = ("status",)
    readonly_fields = [f.name for f in FilterModelVersion._meta.fields]
    actions = ["activate", "roll_back"]

    def has_add_permission(self, request) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields

    @admin.action(description=_("Activate the selected version"))
    def activate(self, request, queryset) -> None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(request, _("Choose exactly one version to activate."), messages.ERROR)
            return
        try:
            services.activate_version(chosen[0], actor=request.user, request=request)
        except services.CannotActivate:
            self.message_user(request, _("This version is not a trained model on disk."), messages.ERROR)
            return
        self.message_user(request, _("Version %(v)s is now active.") % {"v": chosen[0].version})

    @admin.action(description=_("Roll back to the previously active version"))
    def roll_back(self, request, queryset) -> None:
        try:
            now_active = services.roll_back(actor=request.user, request=request)
        except (services.NothingToRollBack, services.CannotActivate) as exc:
            self.message_user(request, str(exc) or _("Nothing to roll back."), messages.ERROR)
            return
        shown = now_active.version if now_active is not None else _("the shipped model")
        self.message_user(request, _("Rolled back: %(v)s reads messages again.") % {"v": shown})

    def changelist_view(self, request, extra_context=None):
        active = (
            FilterModelVersion.objects.filter(status=VersionStatus.ACTIVE).select_related("previous").first()
        )
        extra_context = extra_context or {}
        if active is not None:
            previous = active.previous.version if active.previous else _("the shipped model")
            extra_context["title"] = _("Active: %(a)s · previous: %(p)s") % {
                "a": active.version,
                "p": previous,
            }
        return super().changelist_view(request, extra_context)
