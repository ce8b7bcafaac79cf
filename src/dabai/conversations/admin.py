from django.contrib import admin

from dabai.conversations.models import (
    Conversation,
    ConversationMerge,
    ConversationSplit,
    ConversationTag,
    Insight,
    LabelCorrection,
    Message,
)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "channel", "status", "priority", "assignee", "team", "last_message_at")
    list_filter = ("channel", "status", "priority", "team")
    raw_id_fields = ("customer", "assignee")
    date_hierarchy = "last_message_at"


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "direction", "channel", "external_id", "sent_at", "delivery_status")
    list_filter = ("direction", "channel", "delivery_status")
    raw_id_fields = ("conversation", "author")


@admin.register(Insight)
class InsightAdmin(admin.ModelAdmin):
    list_display = ("message", "sentiment", "intent", "voice", "urgency", "escalation_risk", "is_spam")
    list_filter = ("sentiment", "intent", "urgency", "escalation_risk", "is_spam")
    raw_id_fields = ("message",)


@admin.register(LabelCorrection)
class LabelCorrectionAdmin(admin.ModelAdmin):
    """Agents' corrections of the filter's badges (history: the newest per message and signal counts)."""

    list_display = ("message", "signal", "previous", "value", "corrected_by", "corrected_at")
    list_filter = ("signal",)
    raw_id_fields = ("message", "corrected_by")


@admin.register(ConversationTag)
class ConversationTagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(ConversationMerge)
class ConversationMergeAdmin(admin.ModelAdmin):
    """Merges agents made; undo them from the supervisor's page (``conversations:merges``), not here."""

    list_display = ("id", "absorbed", "surviving", "merged_by", "merged_at", "undone_at")
    raw_id_fields = ("surviving", "absorbed", "merged_by", "undone_by")
    readonly_fields = ("moved_message_ids", "absorbed_state", "surviving_state")


@admin.register(ConversationSplit)
class ConversationSplitAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "created", "split_by", "split_at", "undone_at")
    raw_id_fields = ("source", "created", "split_by", "undone_by")
    readonly_fields = ("moved_message_ids", "source_state")
