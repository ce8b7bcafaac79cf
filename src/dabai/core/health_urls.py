from django.urls import path

from dabai.core import views

urlpatterns = [path("", views.healthz, name="healthz")]
