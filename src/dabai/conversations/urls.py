"""Conversations have no pages of their own: the workspace (``dabai.desk``) is mounted at ``inbox/``."""

app_name = "conversations"
urlpatterns: list = []
