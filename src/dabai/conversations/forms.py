from django import forms
from django.utils.translation import gettext_lazy as _

from dabai.accounts.selectors import desk_people
from dabai.conversations.models import Status


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    kind = forms.ChoiceField(
        choices=[("reply", _("Reply to customer")), ("note", _("Internal note"))], initial="reply"
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("The text cannot be empty."))
        return body


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=desk_people(),
        required=False,
        empty_label=_("(unassigned)"),
    )
