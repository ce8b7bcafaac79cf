from django.urls import path

from dabai.programs.views import organise, participant, public

app_name = "programs"

urlpatterns = [
    # Staff taking part (department members, supervisors)
    path("", participant.front, name="front"),
    path("sessions/<int:pk>/register/", participant.register, name="register"),
    path("observe/<int:pk>/", participant.observe, name="observe"),
    path("observe/<int:pk>/desk/", participant.observe_desk, name="observe_desk"),
    # Public doors (no account; rate-limited)
    path("meetups/", public.meetups, name="meetups"),
    path("meetups/<int:pk>/", public.meetup_register, name="meetup"),
    path("r/<str:token>/", public.mine, name="mine"),
    path("r/<str:token>/answer/", public.mine_answer, name="mine_answer"),
    path("r/<str:token>/qr.png", public.mine_qr, name="mine_qr"),
    path("r/<str:token>/invite.ics", public.mine_calendar, name="mine_calendar"),
    path("r/<str:token>/certificate.pdf", public.mine_certificate, name="mine_certificate"),
    path("r/<str:token>/questions/", public.questions, name="questions"),
    path("r/<str:token>/questions/list/", public.questions_list, name="questions_list"),
    path("r/<str:token>/questions/upvote/", public.upvote, name="upvote"),
    path("verify/", public.verify, name="verify"),
    path("verify/<str:code>/", public.verify_code, name="verify_code"),
    # Organisers (supervisors)
    path("organise/", organise.organise, name="organise"),
    path("organise/programmes/<int:pk>/", organise.programme, name="programme"),
    path("organise/sessions/<int:pk>/", organise.session, name="session"),
    path("organise/sessions/<int:pk>/select/", organise.select, name="select"),
    path("organise/sessions/<int:pk>/agenda/", organise.agenda, name="agenda"),
    path("organise/sessions/<int:pk>/changes/", organise.changes, name="changes"),
    path("organise/sessions/<int:pk>/status/", organise.status, name="status"),
    path("organise/sessions/<int:pk>/cancel/", organise.cancel_registration, name="cancel_registration"),
    path("organise/sessions/<int:pk>/remind/", organise.remind, name="remind"),
    path("organise/sessions/<int:pk>/pair/", organise.pair, name="pair"),
    path("organise/sessions/<int:pk>/notes/", organise.add_note, name="add_note"),
    path("organise/sessions/<int:pk>/certificates/", organise.issue_certificates, name="issue_certificates"),
    path("organise/sessions/<int:pk>/survey/", organise.send_survey, name="send_survey"),
    path("organise/sessions/<int:pk>/draw/", organise.draw, name="draw"),
    path("organise/sessions/<int:pk>/door-sign/", organise.door_sign, name="door_sign"),
    path("organise/sessions/<int:pk>/check-in/", organise.checkin, name="checkin"),
    path("organise/sessions/<int:pk>/questions/", organise.staff_questions, name="staff_questions"),
    path(
        "organise/sessions/<int:pk>/questions/list/",
        organise.staff_questions,
        {"partial": True},
        name="staff_questions_list",
    ),
    path("organise/sessions/<int:pk>/answered/", organise.answered, name="answered"),
    path("organise/sessions/<int:pk>/questions/draft/", organise.question_draft, name="question_draft"),
    path("organise/sessions/<int:pk>/sample/", organise.sample, name="sample"),
    path("organise/visits/<int:pk>/consent/", organise.visit_consent, name="visit_consent"),
    path("organise/visits/<int:pk>/feedback/", organise.visit_feedback, name="visit_feedback"),
    path("organise/registrations/<int:pk>/certificate.pdf", organise.certificate, name="certificate"),
    path("organise/check-in/<str:token>/", organise.checkin_token, name="checkin_token"),
]
