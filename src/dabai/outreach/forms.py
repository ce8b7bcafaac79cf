from django import forms
from django.utils.translation import gettext_lazy as _

from dabai.core.choices import Channel
from dabai.customers.models import Tier
from dabai.filter.analysis import INTENTS
from dabai.outreach.models import Campaign, CampaignKind, Incident
from dabai.outreach.services.segments import DEFAULT_MENTION_DAYS, parse_order_numbers

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
    products = forms.CharField(
        label=_("Mentioned products"),
        required=False,
        help_text=_("Comma-separated; customers who named one (or are tagged with it)."),
    )
    mention_days = forms.IntegerField(
        label=_("…in the last days"), min_value=1, max_value=365, initial=90, required=False
    )
    order_numbers = forms.CharField(
        label=_("Order numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Customers who wrote one of them in the last year; one per line or comma-separated."),
    )
    orders_csv = forms.FileField(
        label=_("Order numbers (CSV)"), required=False, help_text=_("A file with an order_number column.")
    )
    customers_csv = forms.FileField(
        label=_("Customers (CSV)"),
        required=False,
        help_text=_("A customer_id column, or channel and handle columns."),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "kind",
            "sms_text",
            "wechat_text",
            "wechat_template",
            "email_subject",
            "email_text",
            "scheduled_at",
        ]
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

    def clean_order_numbers(self) -> list[str]:
        numbers, errors = parse_order_numbers(self.cleaned_data.get("order_numbers") or "")
        if errors:
            raise forms.ValidationError(errors[:5])
        return numbers

    def clean_orders_csv(self) -> list[str]:
        upload = self.cleaned_data.get("orders_csv")
        if not upload:
            return []
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc
        numbers, errors = parse_order_numbers(text)
        if errors:
            raise forms.ValidationError(errors[:5])
        if not numbers:
            raise forms.ValidationError(_("The file has no order numbers."))
        return numbers

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
            "products": [
                p.strip() for p in (data.get("products") or "").replace("，", ",").split(",") if p.strip()
            ],
            "order_numbers": list(
                dict.fromkeys([*(data.get("order_numbers") or []), *(data.get("orders_csv") or [])])
            ),
        }
        if segment["products"]:
            segment["mention_days"] = data.get("mention_days") or DEFAULT_MENTION_DAYS
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
