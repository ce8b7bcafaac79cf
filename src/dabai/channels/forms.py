from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LogCallForm(forms.Form):
    caller = forms.CharField(label=_("Caller number"), max_length=30)
    started_at = forms.DateTimeField(label=_("Started at"), initial=timezone.now)
    duration_seconds = forms.IntegerField(label=_("Duration (seconds)"), min_value=0, initial=0)
    summary = forms.CharField(label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 4}))


class WeiboExportForm(forms.Form):
    file = forms.FileField(label=_("Weibo JSON export"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or JSONL file"), help_text=_("Columns: see the import guide below."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".jsonl", ".ndjson")):
            raise forms.ValidationError(_("Upload a .csv or .jsonl file."))
        return upload
