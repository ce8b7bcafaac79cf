from django.contrib import admin

from dabai.listening.models import Source, Watchlist, WatchTerm


class WatchTermInline(admin.TabularInline):
    model = WatchTerm
    extra = 3


@admin.register(Watchlist)
class WatchlistAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active")
    list_filter = ("kind", "is_active")
    inlines = [WatchTermInline]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "url", "is_active", "interval_minutes", "last_read_at")
    list_filter = ("kind", "is_active")
    readonly_fields = ("last_read_at", "last_report")
