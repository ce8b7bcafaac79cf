from django.contrib import admin

from dabai.outreach.models import CareReminder, ContactPreference


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = ("customer", "form_of_address", "unsubscribed_at", "unsubscribed_via", "care_opt_in")
    raw_id_fields = ("customer",)


@admin.register(CareReminder)
class CareReminderAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "reference", "due_on", "campaign")
    raw_id_fields = ("customer", "campaign")
