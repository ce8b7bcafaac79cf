from django import forms
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import Team
from dabai.replies.models import MacroScope

VARIABLES_HELP = _("Variables: {customer_name}, {order_number}, {agent_name}")


class MacroForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, help_text=VARIABLES_HELP
    )
    scope = forms.ChoiceField(label=_("Shared with"), choices=MacroScope.choices, initial=MacroScope.PERSONAL)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)

    def __init__(self, *args, scopes: list[str] | None = None, teams=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if scopes is not None:
            self.fields["scope"].choices = [(v, lbl) for v, lbl in MacroScope.choices if v in scopes]
        if teams is not None:
            self.fields["team"].queryset = teams
        if scopes is not None and MacroScope.TEAM not in scopes:
            del self.fields["team"]  # an agent keeps personal macros only: no team to choose

    def clean(self) -> dict:
        data = super().clean()
        if data.get("scope") == MacroScope.TEAM and not data.get("team"):
            self.add_error("team", _("Choose the team that shares this macro."))
        return data

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("The text cannot be empty."))
        return body
