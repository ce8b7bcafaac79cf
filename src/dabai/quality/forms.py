from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dabai.accounts.models import Team, User
from dabai.quality.models import SampleItem

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


class CycleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    period_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label=_("All teams")
    )
    per_agent_per_week = forms.IntegerField(
        label=_("Conversations per agent per week"), min_value=1, max_value=50, initial=5
    )
    random_share = forms.IntegerField(label=_("Random share (%)"), min_value=0, max_value=100, initial=40)
    seed = forms.IntegerField(
        label=_("Seed"),
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=_("Leave empty for a new one; the same seed and settings draw the same sample."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and (end < start or (end - start).days > 92):
            raise forms.ValidationError(_("The period must run forwards and span at most three months."))
        return data


class ReviewQuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=200)
    hint = forms.CharField(label=_("Hint for reviewers"), max_length=300, required=False)


class RemoveItemForm(forms.Form):
    reason = forms.CharField(label=_("Why it leaves the sample"), max_length=300)


VERDICTS = [("yes", _("Yes")), ("partly", _("Partly")), ("no", _("No"))]


def review_form(questions, data=None, initial=None) -> forms.Form:
    """One yes / partly / no and one note per question, then the coaching note."""
    form = forms.Form(data, initial=initial or {})
    for question in questions:
        verdict = forms.ChoiceField(
            label=question.text, choices=VERDICTS, widget=forms.RadioSelect, required=False
        )
        verdict.question = question
        form.fields[f"q{question.pk}"] = verdict
        form.fields[f"n{question.pk}"] = forms.CharField(
            label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
        )
    form.fields["coaching_note"] = forms.CharField(
        label=_("Coaching note for the agent"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What went well, and one thing to try next time. No points, no script wording."),
    )
    return form


class CalibrationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Reviewers"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Conversations"), queryset=SampleItem.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, reviewers=None, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = reviewers if reviewers is not None else User.objects.none()
        self.fields["items"].queryset = items if items is not None else SampleItem.objects.none()
