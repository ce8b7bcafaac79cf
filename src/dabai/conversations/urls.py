"""Conversations' own pages: merging and splitting (the desk's thread posts here) and the supervisors' page
to undo them. The workspace itself (``dabai.desk``) is mounted at ``inbox/`` too."""

from django.urls import path

from dabai.conversations import merge_views

app_name = "conversations"
urlpatterns = [
    path("<int:pk>/merge/", merge_views.merge, name="merge"),
    path("<int:pk>/split/", merge_views.split, name="split"),
    path("merges/", merge_views.merges, name="merges"),
    path("merges/<int:pk>/undo/", merge_views.merge_undo, name="merge-undo"),
    path("splits/<int:pk>/undo/", merge_views.split_undo, name="split-undo"),
]
