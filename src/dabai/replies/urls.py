from django.urls import path

from dabai.replies import views

app_name = "replies"
urlpatterns = [
    path("macros/", views.macro_list, name="macros"),
    path("macros/search/", views.macro_search, name="macro-search"),
    path("macros/<int:pk>/used/", views.macro_used, name="macro-used"),
    path("macros/<int:pk>/delete/", views.macro_delete, name="macro-delete"),
    path("draft/<int:conversation_pk>/", views.draft, name="draft"),
    path("reveal/<int:message_pk>/", views.reveal, name="reveal"),
    path("correct/<int:message_pk>/", views.correct_label, name="correct"),
    path("mentions/", views.mentions, name="mentions"),
    path("mentions/read/<int:conversation_pk>/", views.mentions_read, name="mentions-read"),
    path("send/<int:conversation_pk>/", views.send, name="send"),
    path("next/<int:pk>/", views.next_conversation, name="next"),
]
