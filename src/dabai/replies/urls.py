from django.urls import path

from dabai.replies import views

app_name = "replies"
urlpatterns = [
    path("macros/", views.macro_list, name="macros"),
    path("macros/search/", views.macro_search, name="macro-search"),
    path("macros/<int:pk>/used/", views.macro_used, name="macro-used"),
    path("macros/<int:pk>/delete/", views.macro_delete, name="macro-delete"),
    path("mentions/", views.mentions, name="mentions"),
]
