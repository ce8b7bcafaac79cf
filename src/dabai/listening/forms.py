from django import forms
from django.utils.translation import gettext_lazy as _

from dabai.listening.models import SourceKind

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class MentionFilterForm(forms.Form):
    topic = forms.CharField(label=_("Topic"), max_length=100, required=False)
    needs_answer = forms.BooleanField(label=_("Negative or escalating only"), required=False)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SourceKind.choices)
    file = forms.FileField(label=_("File"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
