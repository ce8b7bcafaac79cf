from django.urls import path

from dabai.insights.dashboards import CHARTS
from dabai.insights.views import cases, news, portal, topics

app_name = "insights"
urlpatterns = [
    path("", portal.front, name="front"),
    path("bursts/<int:pk>/", portal.burst, name="burst"),
    path("dashboards/", portal.dashboard_page, name="dashboards"),
    *[
        path(f"charts/{name}.json", portal.chart_data, {"chart": name}, name=f"chart_{name}")
        for name in CHARTS
    ],
    path("cases/", cases.cases, name="cases"),
    path("cases/export.csv", cases.export, name="export"),
    path("cases/<int:pk>/", cases.case_detail, name="case"),
    path("cases/<int:pk>/share/", cases.share, name="share"),
    path("s/<str:token>/", cases.shared, name="shared"),
    path("searches/", cases.save_search, name="save_search"),
    path("searches/<int:pk>/delete/", cases.delete_search, name="delete_search"),
    path("topics/", topics.topic_list, name="topics"),
    path("topics/new/", topics.topic_new, name="topic_new"),
    path("topics/refresh/", topics.topics_refresh, name="topics_refresh"),
    path("topics/<int:pk>/", topics.topic_detail, name="topic"),
    path("topics/<int:pk>/edit/", topics.topic_edit, name="topic_edit"),
    path("topics/<int:pk>/merge/", topics.topic_merge, name="topic_merge"),
    path("topics/<int:pk>/promote/", topics.topic_promote, name="topic_promote"),
    path("topics/<int:pk>/follow/", topics.topic_follow, name="topic_follow"),
    path("news/", news.news_list, name="news"),
    path("news/new/", news.news_new, name="news_new"),
    path("news/<int:pk>/", news.news_detail, name="news_item"),
    path("news/<int:pk>/edit/", news.news_edit, name="news_edit"),
    path("news/<int:pk>/delete/", news.news_delete, name="news_delete"),
]
