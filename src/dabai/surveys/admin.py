from django.contrib import admin

from dabai.surveys.models import Invitation, Question, Survey


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["order", "kind", "text", "required", "choices"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "purpose", "subject_ref", "anonymous", "is_open", "owner", "created_at"]
    list_filter = ["is_open", "anonymous", "purpose"]
    search_fields = ["title", "subject_ref"]
    raw_id_fields = ["owner"]
    inlines = [QuestionInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are read here; they are created and sent through the builder or another app's services.
    The nonce (half of the one-time link's secret) is never shown."""

    list_display = ["survey", "display_name", "sent_at", "reminders_sent", "answered_at", "expires_at"]
    list_filter = ["survey"]
    exclude = ["nonce"]
    raw_id_fields = ["survey", "user", "customer"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
