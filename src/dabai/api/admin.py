"""API tokens in the admin: create (the token is shown once, after saving), revoke, never delete."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dabai.api import services
from dabai.api.models import ApiToken
from dabai.api.scopes import Scope


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiToken
        fields = ["name", "scopes", "teams", "expires_at", "rate_limit_per_minute"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "prefix", "scope_list", "expires_at", "last_used_at", "revoked_at", "created_by"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    filter_horizontal = ["teams"]

    @admin.display(description=_("Scopes"))
    def scope_list(self, token: ApiToken) -> str:
        return ", ".join(token.scopes)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return []
        return [
            "name",
            "prefix",
            "scope_list",
            "teams",
            "expires_at",
            "rate_limit_per_minute",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return ["name", "scopes", "teams", "expires_at", "rate_limit_per_minute"]
        return self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: ApiTokenForm, change: bool) -> None:
        if change:
            return
        try:
            token, plaintext = services.create_token(
                form.cleaned_data["name"],
                form.cleaned_data["scopes"],
                actor=request.user,
                expires_at=form.cleaned_data.get("expires_at"),
                teams=list(form.cleaned_data.get("teams") or []),
                rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
                request=request,
            )
        except services.InvalidToken as refused:
            raise forms.ValidationError(str(refused)) from None
        obj.__dict__.update({k: v for k, v in token.__dict__.items() if k != "_state"})
        obj._state = token._state
        request._api_token_plaintext = plaintext

    def save_related(self, request: HttpRequest, form: ApiTokenForm, formsets, change: bool) -> None:
        """Teams were set by ``create_token``; a token's teams never change after it is made."""

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None) -> HttpResponse:
        """The one and only time the token is shown: a page of its own, never a redirect or a cookie."""
        context = {
            **self.admin_site.each_context(request),
            "title": _("API token created"),
            "token": obj,
            "plaintext": getattr(request, "_api_token_plaintext", ""),
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/api/apitoken/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            services.revoke_token(token, actor=request.user, request=request)
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", len(tokens)) % {"n": len(tokens)},
            messages.SUCCESS,
        )
