from django.urls import path

from dabai.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.verify, name="verify"),
    path("new/", views.new_request, name="new"),
    path("new/suggest/", views.suggest, name="suggest"),
    path("conversations/<int:pk>/rate/", views.rate, name="rate"),
    path("conversations/<int:pk>/", views.conversation, name="conversation"),
    path("conversations/<int:pk>/reply/", views.reply, name="reply"),
]
