"""State changes of surveys: build a questionnaire, invite people, send and remind, take the answers once.

Other apps (programmes, quality) call these functions; they never write survey rows themselves.

- ``create_survey`` / ``add_question`` / ``update_question`` / ``move_question`` / ``delete_question`` /
  ``set_open``: the builder.
- ``invite`` → ``send_invitation`` (email by task after commit) → ``send_reminders`` (two at most, never after
  an answer or expiry).
- ``submit_response``: validates every answer first (errors per question, nothing half-written), then stores
  them in one transaction; the invitation's token works once.
"""

from dabai.surveys.results import SurveyResults, results, write_csv
from dabai.surveys.services.answers import submit_response, validate_answers
from dabai.surveys.services.builder import (
    add_question,
    clean_question,
    create_survey,
    delete_question,
    move_question,
    set_open,
    update_question,
)
from dabai.surveys.services.invitations import (
    TOKEN_SALT,
    InvitationClosed,
    closed_reason,
    deliver,
    invitation_for_token,
    invitation_link,
    invitation_path,
    invitation_token,
    invite,
    recipient,
    send_invitation,
    send_reminders,
)

__all__ = [
    "TOKEN_SALT",
    "InvitationClosed",
    "SurveyResults",
    "add_question",
    "clean_question",
    "closed_reason",
    "create_survey",
    "delete_question",
    "deliver",
    "invitation_for_token",
    "invitation_link",
    "invitation_path",
    "invitation_token",
    "invite",
    "move_question",
    "recipient",
    "results",
    "send_invitation",
    "send_reminders",
    "set_open",
    "submit_response",
    "update_question",
    "validate_answers",
    "write_csv",
]
