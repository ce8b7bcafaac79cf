from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog

from dabai.api.views import api, unknown_path
from dabai.channels import media_views as channel_media
from dabai.knowledge import views as knowledge_views

urlpatterns = [
    path("healthz", include("dabai.core.health_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", unknown_path, name="api-not-found"),
    path("accounts/", include("dabai.accounts.urls")),
    path("customers/", include("dabai.customers.urls")),
    path("inbox/", include("dabai.conversations.urls")),
    path("channels/", include("dabai.channels.urls")),
    path("routing/", include("dabai.routing.urls")),
    path("replies/", include("dabai.replies.urls")),
    path("kb/", include("dabai.knowledge.urls")),
    path("help/", include("dabai.knowledge.help_urls")),
    path("portal/", include("dabai.portal.urls")),
    path("voc/followups/", include("dabai.followups.urls")),
    path("voc/", include("dabai.insights.urls")),
    path("filter-models/", include("dabai.learning.urls")),
    path("quality/", include("dabai.quality.urls")),
    path("inbox/", include("dabai.desk.urls")),
    path("programs/", include("dabai.programs.urls")),
    path("surveys/", include("dabai.surveys.urls")),
    path("outreach/", include("dabai.outreach.urls")),
    path("listening/", include("dabai.listening.urls")),
    path("", include("dabai.site.urls")),
]
# Uploaded files: the owning app checks who may read each one (dabai.core.media); the rest of /media/ is 404.
urlpatterns += [
    path("media/knowledge/<path:name>", knowledge_views.attachment_file, name="knowledge-media"),
    path("media/channels/attachments/<path:name>", channel_media.attachment_file, name="channels-media"),
]
