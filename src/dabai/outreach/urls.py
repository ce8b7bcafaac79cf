from django.urls import path

from dabai.outreach import views

app_name = "outreach"

urlpatterns = [
    path("at-risk/", views.at_risk, name="at_risk"),
    path("customers/<int:pk>/reach-out/", views.reach_out, name="reach_out"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/reminders/", views.reminders_import, name="reminders_import"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("campaigns/<int:pk>/schedule/", views.campaign_schedule, name="campaign_schedule"),
    path("campaigns/<int:pk>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("campaigns/<int:pk>/test/", views.campaign_test, name="campaign_test"),
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/<int:pk>/", views.incident, name="incident"),
    path("incidents/<int:pk>/notify/", views.incident_notify, name="incident_notify"),
    path("incidents/<int:pk>/update/", views.incident_update, name="incident_update"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
