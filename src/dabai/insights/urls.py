from django.urls import path

from dabai.insights import views

app_name = "insights"
urlpatterns = [
    path("cases/", views.cases, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
]
