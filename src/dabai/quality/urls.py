from django.urls import path

from dabai.quality import views

app_name = "quality"

urlpatterns = [
    path("", views.report, name="report"),
    path("report.csv", views.report_csv, name="report-csv"),
    path("mine/", views.mine, name="mine"),
    path("s/<str:token>/", views.survey, name="survey"),
]
