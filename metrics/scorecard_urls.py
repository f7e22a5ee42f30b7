"""The scorecard matrix, its exports, closing a period and awards: under /metrics/scorecards/, namespace metrics."""

from django.urls import path

from . import scorecard_views as views

urlpatterns = [
    path("", views.index, name="scorecards"),
    path("<int:pk>/", views.scorecard, name="scorecard"),
    path("<int:pk>/export.csv", views.export_csv, name="scorecard_csv"),
    path("<int:pk>/export.xlsx", views.export_xlsx, name="scorecard_xlsx"),
    path("<int:pk>/close/", views.close, name="scorecard_close"),
    path("closed/<int:pk>/", views.closed_period, name="closed_period"),
    path("closed/<int:pk>/awards/", views.award_add, name="award_add"),
    path("closed/<int:pk>/awards/<int:award_pk>/confirm/", views.award_confirm, name="award_confirm"),
    path("closed/<int:pk>/awards/<int:award_pk>/remove/", views.award_remove, name="award_remove"),
]
