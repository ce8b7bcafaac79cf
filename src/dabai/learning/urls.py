from django.urls import path

from dabai.learning import views

app_name = "learning"
urlpatterns = [
    path("", views.versions, name="versions"),
    path("train/", views.train, name="train"),
    path("<int:pk>/activate/", views.activate, name="activate"),
    path("rollback/", views.roll_back, name="rollback"),
]
