from django.contrib import admin

from dabai.quality.models import Outcome, Review, ReviewQuestion, Survey


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    """Outcomes are derived from the facts: read here, recomputed by the services, never edited."""

    list_display = ["conversation", "channel", "agent", "first_contact_resolved", "reopened", "csat"]
    list_filter = ["channel", "first_contact_resolved", "reopened", "bot_contained", "journey"]
    raw_id_fields = ["conversation", "customer", "agent", "team"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["conversation", "channel", "agent", "status", "rating", "effort", "sent_at"]
    list_filter = ["status", "channel", "rating"]
    raw_id_fields = ["conversation", "customer", "agent", "message", "comment_message"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ReviewQuestion)
class ReviewQuestionAdmin(admin.ModelAdmin):
    """The centre's questions are kept on the review questions page (at most five in use); read here."""

    list_display = ["text", "order", "active"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Reviews are written on the review pages (audited there); the admin only reads them."""

    list_display = ["conversation", "agent", "reviewer", "submitted_at", "calibration_item"]
    list_filter = ["reviewer"]
    raw_id_fields = ["conversation", "agent", "reviewer", "item", "calibration_item"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
