from django import forms
from django.utils.translation import gettext_lazy as _

from dabai.knowledge.models import Article, Category, Language


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    body = forms.CharField(label=_("Body"), widget=forms.Textarea(attrs={"rows": 14}))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    translation_of = forms.ModelChoiceField(
        label=_("Translation of"),
        queryset=Article.objects.filter(translation_of__isnull=True),
        required=False,
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
    related = forms.ModelMultipleChoiceField(
        label=_("Related articles"), queryset=Article.objects.all(), required=False
    )

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].replace("，", ",").split(",") if t.strip()]


class AttachmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    file = forms.FileField(
        label=_("File"),
        help_text=_("Images (PNG, JPEG, GIF, WebP), PDF, Word, Excel, PowerPoint or plain text."),
    )


class SynonymForm(forms.Form):
    words = forms.CharField(label=_("Words"), max_length=255, help_text=_("For example: 退款 退钱 退费"))
