"""Forms of the survey builder and the public answer page (built from the survey's questions)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dabai.surveys.models import Question, QuestionKind, Survey

NPS_CHOICES = [(str(n), str(n)) for n in range(0, 11)]
RATING_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["title", "intro", "anonymous", "auto_remind"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 3})}


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question"), max_length=500)
    choices = forms.CharField(
        label=_("Choices (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only for single and multiple choice."),
    )
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)


class InviteForm(forms.Form):
    people = forms.CharField(
        label=_("People to invite"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "王经理, wang@example.cn"}),
        help_text=_("One per line: name, email address (the name may be left out)."),
    )
    subject = forms.CharField(label=_("Email subject"), max_length=200)
    body = forms.CharField(
        label=_("Email text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Write {link} where the personal link goes; otherwise it is added at the end."),
    )


def answer_form(questions: list[Question], data=None) -> forms.Form:
    """A form with one field per question, named ``q<pk>`` (the keys ``submit_response`` takes)."""
    form = forms.Form(data)
    for question in questions:
        name, label, required = question.field_name, question.text, question.required
        if question.kind == QuestionKind.RATING:
            field = forms.ChoiceField(choices=RATING_CHOICES, widget=forms.RadioSelect)
        elif question.kind == QuestionKind.NPS:
            field = forms.ChoiceField(choices=NPS_CHOICES, widget=forms.RadioSelect)
        elif question.kind == QuestionKind.SINGLE:
            field = forms.ChoiceField(choices=[(c, c) for c in question.choices], widget=forms.RadioSelect)
        elif question.kind == QuestionKind.MULTIPLE:
            field = forms.MultipleChoiceField(
                choices=[(c, c) for c in question.choices], widget=forms.CheckboxSelectMultiple
            )
        else:
            field = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
        field.label, field.required = label, False  # the service checks required answers, with its messages
        field.question = question
        field.is_required = required
        form.fields[name] = field
    return form
