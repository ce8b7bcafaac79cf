from django.urls import path

from dabai.customers import views

app_name = "customers"
urlpatterns = [
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/reveal/", views.reveal_identities, name="reveal"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("merges/<int:pk>/undo/", views.unmerge, name="unmerge"),
]
