"""Forms of programmes: what organisers plan and what participants and customers fill in."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dabai.accounts.models import Department
from dabai.programs.models import AgendaKind, Programme, Session
from dabai.programs.services.visits import CRITERIA

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = ["name", "kind", "frequency", "description", "quotas"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "quotas": forms.TextInput()}

    def clean_quotas(self) -> dict:
        quotas = self.cleaned_data.get("quotas") or {}
        if not isinstance(quotas, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in quotas.values()
        ):
            raise forms.ValidationError(
                _('Quotas are department slugs with seat counts, e.g. {"product": 4}.')
            )
        return quotas


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = [
            "title",
            "starts_at",
            "ends_at",
            "place",
            "room",
            "capacity",
            "offer_hours",
            "changes_since_last",
        ]
        widgets = {
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "changes_since_last": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self) -> dict:
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The session must end after it starts."))
        return data


class ChangesForm(forms.Form):
    changes_since_last = forms.CharField(
        label=_("What we changed since last time"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    notify = forms.BooleanField(label=_("Send the updated invitation to everyone invited"), required=False)


class AgendaForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DATETIME)
    kind = forms.ChoiceField(label=_("Kind"), choices=AgendaKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The item must end after it starts."))
        return data


class RegisterForm(forms.Form):
    motivation = forms.CharField(
        label=_("Why I want to take part"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=1000,
    )


class PublicRegistrationForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.RegexField(
        label=_("Mobile phone (optional, for an SMS confirmation)"),
        regex=r"^\+?[0-9 \-]{6,20}$",
        required=False,
        error_messages={"invalid": _("Enter a mobile number.")},
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that the service centre stores my name and contact details to organise this meet-up "
            "and deletes them afterwards."
        )
    )

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Give an email address or a mobile number so we can confirm."))
        return data


class SeedForm(forms.Form):
    seed = forms.IntegerField(
        label=_("Seed (leave empty for a fresh one)"), required=False, min_value=0, max_value=10**12
    )


class DrawForm(SeedForm):
    winners = forms.IntegerField(label=_("Winners"), min_value=1, max_value=100, initial=3)


class NoteForm(forms.Form):
    topic = forms.CharField(label=pgettext_lazy("discussion", "Topic"), max_length=200)
    conclusion = forms.CharField(
        label=_("Conclusion"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for index in range(3):
            self.fields[f"department_{index}"] = forms.ModelChoiceField(
                label=_("Department"), queryset=Department.objects.all(), required=False
            )
            self.fields[f"intention_{index}"] = forms.CharField(
                label=_("Cooperation intention"), max_length=2000, required=False
            )

    def clean(self) -> dict:
        data = super().clean()
        for index in range(3):
            if data.get(f"intention_{index}", "").strip() and not data.get(f"department_{index}"):
                self.add_error(f"department_{index}", _("Name the department that takes this up."))
        return data

    def intentions(self) -> list:
        return [
            (self.cleaned_data[f"department_{i}"], self.cleaned_data[f"intention_{i}"])
            for i in range(3)
            if self.cleaned_data.get(f"department_{i}")
            and self.cleaned_data.get(f"intention_{i}", "").strip()
        ]

    def intention_rows(self) -> list:
        return [(self[f"department_{i}"], self[f"intention_{i}"]) for i in range(3)]


class SampleForm(SeedForm):
    criterion = forms.ChoiceField(
        label=_("Sample"),
        choices=[
            (c, label)
            for c, label in zip(
                CRITERIA,
                [_("Recent complaint"), _("Customer tier"), _("Topic (intent)"), _("Random")],
                strict=True,
            )
        ],
    )
    value = forms.CharField(label=_("Tier or topic"), max_length=64, required=False)
    size = forms.IntegerField(label=_("How many customers"), min_value=1, max_value=50, initial=3)


class ConsentForm(forms.Form):
    how = forms.CharField(label=_("How the customer agreed"), max_length=200)


class VisitFeedbackForm(forms.Form):
    feedback = forms.CharField(label=_("What the customer told us"), widget=forms.Textarea(attrs={"rows": 4}))
    summary = forms.CharField(
        label=_("Internal note (not shown as the customer's words)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class QuestionForm(forms.Form):
    body = forms.CharField(label=_("Your question"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=32)
