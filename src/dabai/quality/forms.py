from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

STARS = [(n, str(n)) for n in range(1, 6)]
EASE = [
    (1, _("Very hard")),
    (2, _("Hard")),
    (3, _("Neither")),
    (4, _("Easy")),
    (5, _("Very easy")),
]


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with how we handled your request?"),
        choices=STARS,
        coerce=int,
        widget=forms.RadioSelect,
    )
    effort = forms.TypedChoiceField(
        label=_("How easy was it to get your problem solved? (optional)"),
        choices=EASE,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RangeForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    group = forms.ChoiceField(
        label=pgettext_lazy("report", "Group by"),
        required=False,
        choices=[
            ("team", _("Team")),
            ("agent", _("Agent")),
            ("channel", _("Channel")),
            ("intent", _("Topic")),
        ],
    )
