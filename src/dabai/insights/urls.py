from django.urls import path

from dabai.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.front, name="front"),
    path("cases/", views.cases, name="cases"),
    path("cases/export.csv", views.export, name="export"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/share/", views.share, name="share"),
    path("s/<str:token>/", views.shared, name="shared"),
    path("searches/", views.save_search, name="save_search"),
    path("searches/<int:pk>/delete/", views.delete_search, name="delete_search"),
]
