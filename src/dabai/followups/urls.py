from django.urls import path

from dabai.followups import views

app_name = "followups"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("export.csv", views.export, name="export"),
    path("new/", views.open_followup, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status/", views.change_status, name="status"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("<int:pk>/owner/", views.owner, name="owner"),
    path("mentions/", views.mentions, name="mentions"),
    path("mentions/<int:pk>/", views.mention, name="mention"),
    path("mentions/<int:pk>/answer/", views.answer, name="answer"),
    path("cases/<int:conversation_pk>/ask/", views.ask, name="ask"),
    path("customers/<int:customer_pk>/", views.for_customer, name="for_customer"),
    path("notices/", views.notices, name="notices"),
    path("notices/read/", views.notices_read_all, name="notices_read_all"),
    path("notices/<int:pk>/read/", views.notice_read, name="notice_read"),
]
