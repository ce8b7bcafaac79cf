from django.urls import path

from dabai.quality import probe_views, review_views, views

app_name = "quality"

urlpatterns = [
    path("", views.report, name="report"),
    path("report.csv", views.report_csv, name="report-csv"),
    path("conversations/", views.conversations, name="conversations"),
    path("wall/", views.wall, name="wall"),
    path("wall/figures/", views.wall_figures, name="wall_figures"),
    path("mine/", views.mine, name="mine"),
    path("s/<str:token>/", views.survey, name="survey"),
    path("reviews/", review_views.home, name="reviews"),
    path("reviews/questions/", review_views.questions, name="review_questions"),
    path("reviews/questions/<int:pk>/retire/", review_views.question_retire, name="review_question_retire"),
    path("reviews/cycles/<int:pk>/", review_views.cycle, name="cycle"),
    path("reviews/cycles/<int:pk>/calibrate/", review_views.calibration_create, name="calibration_create"),
    path("reviews/items/<int:pk>/", review_views.review, name="review"),
    path("reviews/items/<int:pk>/remove/", review_views.item_remove, name="item_remove"),
    path("reviews/calibrations/<int:pk>/", review_views.calibration, name="calibration"),
    path("reviews/calibrations/items/<int:pk>/", review_views.calibration_review, name="calibration_review"),
    path("reviews/agents/<int:pk>/", review_views.agent_reviews, name="agent_reviews"),
    path("probes/", probe_views.probes, name="probes"),
]
