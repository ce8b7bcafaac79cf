from django.contrib import admin

from dabai.replies.models import Macro, Mention


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("title", "team", "owner", "use_count", "updated_at")
    list_filter = ("team",)
    search_fields = ("title", "body")
    raw_id_fields = ("owner", "created_by")


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ("user", "note", "created_at", "read_at")
    raw_id_fields = ("note", "user")
