"""The workspace, mounted at ``inbox/`` (``/inbox/`` and ``/inbox/<id>/`` are the agents' bookmarks)."""

from django.urls import path

from dabai.desk import views

app_name = "desk"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bulk/", views.bulk, name="bulk"),
    path("<int:pk>/", views.conversation_detail, name="detail"),
    path("<int:pk>/thread/", views.conversation_thread, name="thread"),
    path("<int:pk>/status/", views.set_status, name="status"),
    path("<int:pk>/assign/", views.set_assignee, name="assign"),
    path("<int:pk>/snooze/", views.snooze, name="snooze"),
    path("<int:pk>/wake/", views.wake, name="wake"),
    path("<int:pk>/next/", views.next_conversation, name="next"),
    path("<int:conversation_pk>/draft/", views.draft, name="draft"),
    path("<int:conversation_pk>/send/", views.send, name="send"),
    path("<int:conversation_pk>/mentions/read/", views.mentions_read, name="mentions-read"),
    path("messages/<int:message_pk>/reveal/", views.reveal, name="reveal"),
    path("messages/<int:message_pk>/correct/", views.correct_label, name="correct"),
    path("calls/<int:pk>/recording/", views.recording, name="recording"),
]
