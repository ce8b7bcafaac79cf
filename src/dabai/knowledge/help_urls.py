"""Public help centre (no login)."""

app_name = "help"
urlpatterns: list = []
