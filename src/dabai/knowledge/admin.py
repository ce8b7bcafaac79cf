from django.contrib import admin

from dabai.knowledge.models import (
    Article,
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
    model = Attachment
    extra = 0


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
