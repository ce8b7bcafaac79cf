from django import forms
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import Team
from dabai.conversations.models import Status
from dabai.replies.models import MacroAssignment, MacroScope

VARIABLES_HELP = _("Variables: {customer_name}, {order_number}, {agent_name}")


class MacroForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, help_text=VARIABLES_HELP
    )
    scope = forms.ChoiceField(label=_("Shared with"), choices=MacroScope.choices, initial=MacroScope.PERSONAL)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    # What the macro does besides inserting its text (Zendesk macros): applied when the reply is sent.
    set_status = forms.ChoiceField(
        label=_("Then set status"),
        choices=[("", _("Leave as it is")), *Status.choices],
        required=False,
    )
    add_tags = forms.CharField(
        label=_("Then add tags"),
        max_length=300,
        required=False,
        help_text=_("Separated by commas, e.g. 退款, 已回访"),
    )
    assignment = forms.ChoiceField(label=_("Then assign"), choices=MacroAssignment.choices, required=False)
    assign_team = forms.ModelChoiceField(
        label=_("Or hand to team"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("(no)"),
        help_text=_("The conversation goes to that team's queue."),
    )

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
        if data.get("assign_team") and data.get("assignment"):
            self.add_error("assign_team", _("Either assign or hand to a team, not both."))
        return data

    def clean_add_tags(self) -> list[str]:
        raw = self.cleaned_data.get("add_tags") or ""
        tags = [t.strip() for t in raw.replace("，", ",").replace("、", ",").split(",")]
        if any(len(t) > 50 for t in tags):
            raise forms.ValidationError(_("A tag has at most 50 characters."))
        return list(dict.fromkeys(t for t in tags if t))

    def actions(self) -> dict:
        """The cleaned actions, as ``services.create_macro`` takes them."""
        data = self.cleaned_data
        return {
            "set_status": data.get("set_status") or "",
            "add_tags": data.get("add_tags") or [],
            "assignment": data.get("assignment") or "",
            "assign_team": data.get("assign_team"),
        }
