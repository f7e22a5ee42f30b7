from django.urls import include, path

from . import views

app_name = "metrics"
urlpatterns = [
    path("", views.index, name="index"),
    path("departments/<int:pk>/", views.department, name="department"),
    path("manage/", views.metric_list, name="metric_list"),
    path("new/", views.metric_create, name="metric_create"),
    path("<int:pk>/", views.metric_detail, name="metric"),
    path("<int:pk>/edit/", views.metric_edit, name="metric_edit"),
    path("<int:pk>/archive/", views.metric_archive, name="metric_archive"),
    path("readings/new/", views.reading_create, name="reading_create"),
    path("import/", include("metrics.import_urls")),
    path("scorecards/", include("metrics.scorecard_urls")),
]
