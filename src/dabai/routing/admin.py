"""Admins edit SLA targets, tiers, hours, holidays for unannounced years, skills and seats here."""

from django.contrib import admin

from dabai.routing.models import (
    AgentRouting,
    BusinessHours,
    CalendarDay,
    ComplaintCase,
    CustomerValue,
    RoutingDecision,
    Skill,
    SlaBreach,
    SlaPolicy,
    TierPolicy,
)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "channel",
        "priority",
        "tier",
        "public_only",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "always_open",
        "is_active",
    ]
    list_editable = ["first_response_minutes", "next_response_minutes", "resolution_minutes", "is_active"]
    list_filter = ["channel", "always_open", "is_active"]


@admin.register(TierPolicy)
class TierPolicyAdmin(admin.ModelAdmin):
    list_display = ["label", "tier", "rank", "min_annual_spend", "min_years", "routes_to_expert_seat"]


@admin.register(CustomerValue)
class CustomerValueAdmin(admin.ModelAdmin):
    list_display = ["customer", "annual_spend", "customer_since", "tier_source"]
    raw_id_fields = ["customer"]


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ["__str__", "team", "time_zone", "opens", "closes"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code"]
    list_filter = ["kind"]


@admin.register(AgentRouting)
class AgentRoutingAdmin(admin.ModelAdmin):
    list_display = ["user", "state", "is_expert_seat", "default_capacity"]
    list_filter = ["state", "is_expert_seat"]
    filter_horizontal = ["skills"]


@admin.register(ComplaintCase)
class ComplaintCaseAdmin(admin.ModelAdmin):
    list_display = ["conversation", "customer", "stage", "owner", "opened_at", "due_at"]
    list_filter = ["stage"]
    raw_id_fields = ["conversation", "customer"]


@admin.register(SlaBreach)
class SlaBreachAdmin(admin.ModelAdmin):
    list_display = ["conversation", "at", "reason", "escalated_to"]
    raw_id_fields = ["conversation", "clock"]


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(admin.ModelAdmin):
    list_display = ["conversation", "agent", "rule", "reason", "at"]
    list_filter = ["rule"]
    raw_id_fields = ["conversation"]
