from django.contrib import admin

from dabai.channels.models import CallRecord, ChatVisitor, Delivery, ImportJob, InboundPayload, Subscription


@admin.register(InboundPayload)
class InboundPayloadAdmin(admin.ModelAdmin):
    """Raw deliveries are evidence: readable, never editable."""

    list_display = ("id", "channel", "source", "status", "attempts", "received_at", "message")
    list_filter = ("channel", "status")
    readonly_fields = [f.name for f in InboundPayload._meta.fields]
    raw_id_fields = ("message",)

    def has_add_permission(self, request) -> bool:
        return False


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
