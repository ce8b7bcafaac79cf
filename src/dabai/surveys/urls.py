from django.urls import path

from dabai.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/questions/", views.question_add, name="question_add"),
    path("questions/<int:pk>/move/", views.question_move, name="question_move"),
    path("questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("<int:pk>/toggle/", views.toggle, name="toggle"),
    path("<int:pk>/invite/", views.invite, name="invite"),
    path("<int:pk>/remind/", views.remind, name="remind"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/export.csv", views.export, name="export"),
    path("a/<str:token>/", views.answer, name="answer"),
]
