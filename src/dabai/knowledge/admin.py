from django.contrib import admin

from dabai.knowledge.models import (
    Article,
    ArticleDraft,
    ArticleVersion,
    Attachment,
    BotEvent,
    BotPolicy,
    Category,
    Feedback,
    SearchLog,
    Synonym,
    Tag,
)


class AttachmentInline(admin.TabularInline):
    """Files are uploaded at the desk, where their type is checked; here they can be renamed or removed."""

    model = Attachment
    extra = 0
    fields = ["name", "file", "content_type", "size", "approved", "uploaded_by"]
    readonly_fields = ["file", "content_type", "size", "uploaded_by"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ArticleDraft)
class ArticleDraftAdmin(admin.ModelAdmin):
    list_display = ["article", "state", "author", "created_at", "decided_by"]
    list_filter = ["state"]
    readonly_fields = ["article", "base_version", "author", "decided_by", "decided_at"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "category",
        "language",
        "status",
        "version",
        "helpful_count",
        "not_helpful_count",
    ]
    list_filter = ["status", "language", "category"]
    search_fields = ["title", "summary"]
    readonly_fields = ["version", "helpful_count", "not_helpful_count", "source_conversation"]
    inlines = [AttachmentInline]


@admin.register(ArticleVersion)
class ArticleVersionAdmin(admin.ModelAdmin):
    list_display = ["article", "number", "author", "created_at"]
    readonly_fields = ["article", "number", "title", "summary", "body", "author"]


@admin.register(BotPolicy)
class BotPolicyAdmin(admin.ModelAdmin):
    list_display = ["enabled", "channels", "min_confidence", "hand_over_on_negative"]


@admin.register(BotEvent)
class BotEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "conversation", "action", "reason", "confidence", "article", "topic"]
    list_filter = ["action", "reason"]


@admin.register(SearchLog)
class SearchLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "source", "query", "topic", "result_count", "top_score", "is_gap"]
    list_filter = ["source", "is_gap"]


admin.site.register(Category)
admin.site.register(Tag)
admin.site.register(Synonym)
admin.site.register(Feedback)
