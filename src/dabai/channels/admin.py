from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from dabai.channels.drain import requeue_payloads
from dabai.channels.models import CallRecord, ChatVisitor, Delivery, ImportJob, InboundPayload, Subscription


@admin.register(InboundPayload)
class InboundPayloadAdmin(admin.ModelAdmin):
    """Raw deliveries are evidence: readable, never editable. Dead letters (filter by status) show why
    they died and can be sent through the drain again."""

    list_display = (
        "id",
        "channel",
        "source",
        "status",
        "attempts",
        "next_attempt_at",
        "received_at",
        "short_error",
        "message",
    )
    list_filter = ("status", "channel", "source")
    readonly_fields = [f.name for f in InboundPayload._meta.fields]
    raw_id_fields = ("message",)
    actions = ["retry_payloads"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("Error"))
    def short_error(self, payload: InboundPayload) -> str:
        return Truncator(payload.error).chars(120)

    @admin.action(description=_("Retry: send through the drain again"))
    def retry_payloads(self, request, queryset) -> None:
        count = requeue_payloads(queryset, request.user)
        self.message_user(request, _("%(count)d payload(s) queued again.") % {"count": count})


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("message", "attempts", "provider_id", "last_error", "updated_at")
    raw_id_fields = ("message",)


@admin.register(CallRecord)
class CallRecordAdmin(admin.ModelAdmin):
    list_display = ("call_id", "caller", "duration_seconds", "agent", "started_at")
    raw_id_fields = ("message", "agent")


admin.site.register(ChatVisitor, list_display=("token", "customer", "email", "connections", "last_seen_at"))
admin.site.register(Subscription, list_display=("channel", "external_id", "subscribed", "changed_at"))
admin.site.register(ImportJob, list_display=("name", "status", "imported", "duplicates", "created_at"))
