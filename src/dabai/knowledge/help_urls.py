"""Public help centre (no login)."""

from django.urls import path

from dabai.knowledge import help_views

app_name = "help"
urlpatterns = [
    path("", help_views.home, name="home"),
    path("search/", help_views.search, name="search"),
    path("suggest/", help_views.suggest, name="suggest"),
    path("c/<slug:slug>/", help_views.category, name="category"),
    path("a/<slug:slug>/", help_views.article, name="article"),
    path("a/<slug:slug>/feedback/", help_views.feedback, name="feedback"),
    path("a/<slug:slug>/feedback/missing/", help_views.feedback_comment, name="feedback_comment"),
    path("s/<str:code>", help_views.short, name="short"),
]
