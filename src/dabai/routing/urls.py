from django.urls import path

from dabai.routing import views

app_name = "routing"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("agents/<int:user_id>/state/", views.set_state, name="agent_state"),
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/<int:pk>/stage/", views.complaint_stage, name="complaint_stage"),
    path("tiers/", views.tiers, name="tiers"),
    path("reports/", views.reports, name="reports"),
    path("reports/<str:kind>.csv", views.report_csv, name="report_csv"),
]
