from django.contrib import admin

from dabai.outreach.models import CareReminder, ContactPreference, WeChatTemplate


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = ("customer", "form_of_address", "unsubscribed_at", "unsubscribed_via", "care_opt_in")
    raw_id_fields = ("customer",)


@admin.register(CareReminder)
class CareReminderAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "reference", "due_on", "campaign")
    raw_id_fields = ("customer", "campaign")


@admin.register(WeChatTemplate)
class WeChatTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "template_id", "for_incidents")
