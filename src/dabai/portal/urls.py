from django.urls import path

from dabai.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("conversations/<int:pk>/", views.conversation, name="conversation"),
    path("conversations/<int:pk>/reply/", views.reply, name="reply"),
]
