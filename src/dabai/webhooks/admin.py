"""Webhook endpoints, their delivery log (each attempt with status, latency and a response snippet) and
replays, and the centre's webhook settings, in the admin."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dabai.webhooks import services
from dabai.webhooks.models import Attempt, Delivery, Endpoint, EventType, WebhookPolicy


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every event."),
    )

    class Meta:
        model = Endpoint
        fields = ["name", "url", "events", "is_active"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("url"):
            try:
                services._checked(data["url"], data.get("events") or [])
            except services.InvalidEndpoint as refused:
                self.add_error("url", str(refused))
        return data


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["name", "url", "is_active", "failing_since", "disabled_reason", "created_at"]
    list_filter = ["is_active"]
    readonly_fields = ["secret", "previous_secret_until", "disabled_at", "disabled_reason", "failing_since"]
    actions = ["replay_failed", "rotate", "enable"]

    def save_model(self, request: HttpRequest, obj: Endpoint, form: EndpointForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.update_endpoint(
                obj,
                actor=request.user,
                name=data["name"],
                url=data["url"],
                events=data.get("events") or [],
                is_active=data["is_active"],
            )
            return
        made = services.create_endpoint(
            data["name"], data["url"], data.get("events") or [], actor=request.user
        )
        obj.__dict__.update({k: v for k, v in made.__dict__.items() if k != "_state"})
        obj._state = made._state

    @admin.action(description=_("Replay failed deliveries"))
    def replay_failed(self, request: HttpRequest, queryset) -> None:
        count = sum(services.replay_failed(endpoint, actor=request.user) for endpoint in queryset)
        self.message_user(
            request,
            ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", count) % {"n": count},
        )

    @admin.action(description=_("Rotate the signing secret (the old one signs for one more day)"))
    def rotate(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.rotate_secret(endpoint, actor=request.user)
        self.message_user(request, _("Secrets rotated."), messages.SUCCESS)

    @admin.action(description=_("Enable again"))
    def enable(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset.filter(is_active=False):
            services.enable_endpoint(endpoint, actor=request.user)
        self.message_user(request, _("Endpoints enabled."), messages.SUCCESS)


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["number", "at", "status_code", "latency_ms", "retry_after_seconds", "error", "response_snippet"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "endpoint"]
    list_select_related = ["event", "endpoint"]
    readonly_fields = [
        "event",
        "endpoint",
        "conversation_id",
        "sequence",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Replay the selected deliveries"))
    def replay(self, request: HttpRequest, queryset) -> None:
        count = services.replay(queryset, actor=request.user)
        self.message_user(
            request,
            ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", count) % {"n": count},
        )


@admin.register(WebhookPolicy)
class WebhookPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "allow_private_addresses"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not WebhookPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
