from django.urls import path

from dabai.channels import views

app_name = "channels"
urlpatterns = [
    path("email/inbound/", views.email_inbound, name="email_inbound"),
    path("sms/inbound/", views.sms_inbound, name="sms_inbound"),
    path("phone/inbound/", views.phone_inbound, name="phone_inbound"),
    path("weibo/inbound/", views.weibo_inbound, name="weibo_inbound"),
    path("wechat/", views.wechat_callback, name="wechat"),
    path("chat/widget.js", views.widget_js, name="widget_js"),
    path("chat/session/", views.chat_session, name="chat_session"),
    path("chat/demo/", views.chat_demo, name="chat_demo"),
    path("phone/log/", views.log_call, name="log_call"),
    path("weibo/upload/", views.weibo_upload, name="weibo_upload"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
]
