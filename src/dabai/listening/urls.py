from django.urls import path

from dabai.listening import views

app_name = "listening"

urlpatterns = [
    path("", views.mentions, name="mentions"),
    path("mentions/<int:pk>/", views.mention, name="mention"),
    path("upload/", views.upload, name="upload"),
    path("sources/<int:pk>/read/", views.source_read, name="source_read"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
]
