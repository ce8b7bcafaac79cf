"""Conversations have no pages of their own: the workspace (``dabai.desk``) is mounted at ``inbox/``."""

app_name = "conversations"
urlpatterns: list = []

# Merge and split (the desk's thread posts here) and the supervisor's page to undo them.
from django.urls import path  # noqa: E402

from dabai.conversations import merge_views  # noqa: E402

urlpatterns += [
    path("<int:pk>/merge/", merge_views.merge, name="merge"),
    path("<int:pk>/split/", merge_views.split, name="split"),
    path("merges/", merge_views.merges, name="merges"),
    path("merges/<int:pk>/undo/", merge_views.merge_undo, name="merge-undo"),
    path("splits/<int:pk>/undo/", merge_views.split_undo, name="split-undo"),
]
