"""The workspace's small forms: snoozing a conversation and acting on several at once."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dabai.accounts.models import User
from dabai.accounts.selectors import desk_people
from dabai.conversations.models import Status
from dabai.desk.services import BULK_ACTIONS

MORNING = time(9, 0)
SNOOZE_CHOICES = (
    ("1h", _("1 hour")),
    ("3h", _("3 hours")),
    ("tomorrow", _("Tomorrow 09:00")),
    ("monday", _("Next Monday 09:00")),
)


def snooze_until(preset: str, now: datetime | None = None) -> datetime | None:
    """The moment a preset means, in the centre's time zone (None for an unknown preset)."""
    local = timezone.localtime(now or timezone.now())
    if preset == "1h":
        return local + timedelta(hours=1)
    if preset == "3h":
        return local + timedelta(hours=3)
    if preset == "tomorrow":
        return datetime.combine(local.date() + timedelta(days=1), MORNING, tzinfo=local.tzinfo)
    if preset == "monday":
        days = 7 - local.weekday()  # Monday is 0: from a Monday, the next one
        return datetime.combine(local.date() + timedelta(days=days), MORNING, tzinfo=local.tzinfo)
    return None


class SnoozeForm(forms.Form):
    preset = forms.ChoiceField(choices=[*SNOOZE_CHOICES, ("custom", _("Custom"))])
    until = forms.DateTimeField(
        required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
    )

    def clean(self) -> dict:
        data = super().clean()
        preset = data.get("preset")
        if preset == "custom":
            if not data.get("until"):
                raise forms.ValidationError(_("Choose when it should come back."))
            data["when"] = data["until"]
        elif preset:
            data["when"] = snooze_until(preset)
        return data


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in BULK_ACTIONS])
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    to_status = forms.ChoiceField(choices=Status.choices, required=False)
    tag = forms.CharField(max_length=50, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = desk_people()
        # ids are checked against what the agent may open by the service, not against a choice list
        self.fields["ids"].valid_value = _is_id


def _is_id(value) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) < 2**31
