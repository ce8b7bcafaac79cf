from django.urls import path

from dabai.customers import views

app_name = "customers"
urlpatterns = [path("<int:pk>/", views.customer_detail, name="detail")]
