"""Forms of follow-up pages; the services do the real validation (and masking)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import Department, Role, User
from dabai.followups.models import Source, Status


class OpenForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    department = forms.ModelChoiceField(
        label=_("Owning department"), queryset=Department.objects.order_by("name"), empty_label=None
    )
    description = forms.CharField(
        label=_("What customers say and what we ask"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
    )
    due = forms.DateField(label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    conversations = forms.CharField(
        label=_("Cases (numbers, comma-separated)"), required=False, max_length=2000
    )
    topic_key = forms.CharField(label=_("Topic"), required=False, max_length=64)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices, initial=Source.CASE)
    source_ref = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def clean_conversations(self) -> list[int]:
        raw = self.cleaned_data.get("conversations", "")
        ids = []
        for part in raw.replace("，", ",").replace("#", "").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise forms.ValidationError(_("“%(value)s” is not a case number.") % {"value": part[:20]})
            ids.append(int(part))
        return list(dict.fromkeys(ids))[:200]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    note = forms.CharField(
        label=_("Resolution note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("The whole department")
    )
    due = forms.DateField(label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, department: Department, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(
            department=department, role=Role.DEPARTMENT, is_active=True
        ).order_by("username")


class AskForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Department member"),
        queryset=User.objects.filter(role=Role.DEPARTMENT, is_active=True, department__isnull=False).order_by(
            "department__name", "username"
        ),
    )
    body = forms.CharField(
        label=_("Your question"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class AnswerForm(forms.Form):
    body = forms.CharField(label=_("Your answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
