from django import forms
from django.utils.translation import gettext_lazy as _

from dabai.core.choices import Channel
from dabai.customers.models import Tier
from dabai.filter.analysis import INTENTS
from dabai.outreach.models import Campaign, CampaignKind, Incident

MAX_CSV_BYTES = 5 * 1024 * 1024


class CampaignForm(forms.ModelForm):
    tiers = forms.MultipleChoiceField(label=_("Tiers"), choices=Tier.choices, required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Comma-separated; any of them."))
    identity_channels = forms.MultipleChoiceField(
        label=_("Reachable on"),
        choices=[
            (c, label) for c, label in Channel.choices if c in ("sms", "wechat", "email", "weibo", "phone")
        ],
        required=False,
    )
    intents = forms.MultipleChoiceField(
        label=_("Wrote about (last 30 days)"), choices=[(i, i) for i in INTENTS], required=False
    )
    min_risk = forms.IntegerField(
        label=_("At-risk score at least"), min_value=1, max_value=100, required=False
    )
    customers_csv = forms.FileField(
        label=_("Customers (CSV)"),
        required=False,
        help_text=_("A customer_id column, or channel and handle columns."),
    )

    class Meta:
        model = Campaign
        fields = ["name", "kind", "sms_text", "wechat_text", "email_subject", "email_text", "scheduled_at"]
        widgets = {
            "scheduled_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "sms_text": forms.Textarea(attrs={"rows": 3}),
            "wechat_text": forms.Textarea(attrs={"rows": 3}),
            "email_text": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {"sms_text": _("{name} becomes how we address the customer, e.g. 王先生.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (k, label) for k, label in CampaignKind.choices if k != CampaignKind.INCIDENT
        ]
        self.fields["scheduled_at"].required = False

    def clean_customers_csv(self):
        upload = self.cleaned_data.get("customers_csv")
        if upload and upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload

    def clean(self):
        data = super().clean()
        if not any((data.get(f) or "").strip() for f in ("sms_text", "wechat_text", "email_text")):
            raise forms.ValidationError(_("Write a message for at least one channel."))
        if data.get("email_text") and not (data.get("email_subject") or "").strip():
            self.add_error("email_subject", _("An email needs a subject."))
        return data

    def segment(self, customer_ids: list[int] | None) -> dict:
        data = self.cleaned_data
        segment = {
            "tiers": data.get("tiers") or [],
            "tags": [t.strip() for t in (data.get("tags") or "").replace("，", ",").split(",") if t.strip()],
            "identity_channels": data.get("identity_channels") or [],
            "intents": data.get("intents") or [],
            "min_risk": data.get("min_risk") or 0,
        }
        if customer_ids is not None:
            segment["customer_ids"] = customer_ids
        return {k: v for k, v in segment.items() if v}


class TestSendForm(forms.Form):
    customer = forms.IntegerField(label=_("Customer number"), min_value=1)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c, label) for c, label in Channel.choices if c in ("sms", "wechat", "email")],
    )


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = ["title", "service", "areas", "keywords", "message", "started_at"]
        widgets = {
            "started_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "message": forms.Textarea(attrs={"rows": 3}),
        }


class UpdateForm(forms.Form):
    text = forms.CharField(label=_("Update"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class ReminderImportForm(forms.Form):
    file = forms.FileField(
        label=_("Reminders (CSV)"), help_text=_("kind, customer_id or phone, reference, date")
    )
