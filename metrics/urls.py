from django.urls import include, path

from . import views

app_name = "metrics"
urlpatterns = [
    path("", views.index, name="index"),
    path("import/", include("metrics.import_urls")),
    path("scorecards/", include("metrics.scorecard_urls")),
]
