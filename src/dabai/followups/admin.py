"""Follow-ups in the admin: for looking things up; changes go through the pages (and their services)."""

from django.contrib import admin

from dabai.followups.models import CaseMention, FollowUp, FollowUpEvent, Notice


class EventInline(admin.TabularInline):
    model = FollowUpEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "kind", "actor", "from_status", "to_status", "body")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("pk", "title", "department", "owner", "status", "due", "source", "created_at")
    list_filter = ("status", "department", "source")
    search_fields = ("title",)
    raw_id_fields = ("conversations", "owner", "opened_by", "topic")
    readonly_fields = ("created_at", "updated_at", "closed_at", "escalated_on", "escalation_count")
    inlines = [EventInline]


@admin.register(CaseMention)
class CaseMentionAdmin(admin.ModelAdmin):
    list_display = ("pk", "conversation", "member", "mentioned_by", "created_at", "answered_at")
    raw_id_fields = ("conversation", "member", "mentioned_by", "note", "answer")


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("pk", "recipient", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("recipient", "followup", "mention", "conversation")
