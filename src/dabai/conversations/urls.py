from django.urls import path

from dabai.conversations import views

app_name = "conversations"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.conversation_detail, name="detail"),
    path("<int:pk>/thread/", views.conversation_thread, name="thread"),
    path("<int:pk>/status/", views.set_status, name="status"),
    path("<int:pk>/assign/", views.set_assignee, name="assign"),
]
