from django.contrib import admin

from dabai.customers.models import ChannelIdentity, Customer, CustomerTag


class ChannelIdentityInline(admin.TabularInline):
    model = ChannelIdentity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("display_name", "tier", "created_at")
    list_filter = ("tier", "tags")
    search_fields = ("display_name", "identities__external_id")
    inlines = [ChannelIdentityInline]
    filter_horizontal = ("tags",)
    raw_id_fields = ("portal_user", "merged_into")


admin.site.register(CustomerTag)
