from django.urls import path

from dabai.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_edit, name="new"),
    path("<int:pk>/", views.article_detail, name="detail"),
    path("<int:pk>/edit/", views.article_edit, name="edit"),
    path("<int:pk>/status/", views.article_status, name="status"),
    path("<int:pk>/diff/", views.article_diff, name="diff"),
    path("drafts/", views.drafts, name="drafts"),
    path("drafts/<int:pk>/", views.draft_decide, name="draft_decide"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("attachments/<int:pk>/", views.attachment_decide, name="attachment_decide"),
    path("<int:pk>/sms/", views.article_sms, name="sms"),
    path("from-conversation/<int:conversation_pk>/", views.from_conversation, name="from_conversation"),
    path("suggestions/<int:conversation_pk>/", views.suggestions, name="suggestions"),
    path("synonyms/", views.synonyms, name="synonyms"),
    path("synonyms/<int:pk>/delete/", views.synonym_delete, name="synonym_delete"),
    path("gaps/", views.gaps, name="gaps"),
]
