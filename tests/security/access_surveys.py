"""Surveys in the access registry: the builder, results and export are for supervisors (and the survey's
owner); the answer page opens by its signed one-time token (a forged one is a 404)."""

from dabai.surveys import services

from .roles import NOT_SUPERVISOR

PUBLIC = {"surveys:answer"}

SURVEY_URLS = (
    "surveys:edit",
    "surveys:question_add",
    "surveys:toggle",
    "surveys:invite",
    "surveys:remind",
    "surveys:results",
    "surveys:export",
)
OBJECT_URLS = {name: [("survey", NOT_SUPERVISOR)] for name in SURVEY_URLS} | {
    "surveys:question_move": [("survey_question", NOT_SUPERVISOR)],
    "surveys:question_delete": [("survey_question", NOT_SUPERVISOR)],
}


def extend_world(world: dict, people: dict) -> None:
    survey = services.create_survey(
        title="培训反馈",
        questions=[
            {"kind": "rating", "text": "满意吗？"},
            {"kind": "text", "text": "建议", "required": False},
        ],
        owner=people["supervisor"],
    )
    world["survey"] = survey
    world["survey_question"] = survey.questions.first()
