"""URLs of metrics: dashboards, metric definitions, readings, the CSV import and scorecards (namespace metrics)."""

from django.urls import path

from metrics.views import imports, metrics, scorecards

app_name = "metrics"

urlpatterns = [
    # Dashboards, metric definitions, recording a reading
    path("", metrics.index, name="index"),
    path("overview/", metrics.overview, name="overview"),
    path("departments/<int:pk>/", metrics.department, name="department"),
    path("manage/", metrics.metric_list, name="metric_list"),
    path("new/", metrics.metric_create, name="metric_create"),
    path("<int:pk>/", metrics.metric_detail, name="metric"),
    path("<int:pk>/edit/", metrics.metric_edit, name="metric_edit"),
    path("<int:pk>/archive/", metrics.metric_archive, name="metric_archive"),
    path("readings/new/", metrics.reading_create, name="reading_create"),
    path("cards/<int:pk>/", metrics.card, name="card"),
    path("rollup-status/", metrics.rollup_status, name="rollup_status"),
    # CSV import of readings
    path("import/", imports.upload, name="import"),
    path("import/<slug:token>/", imports.preview, name="import_preview"),
    path("import/<slug:token>/discard/", imports.discard, name="import_discard"),
    path("import/<slug:token>/decimal/", imports.decimal, name="import_decimal"),
    # Scorecards, closing a period, awards
    path("scorecards/", scorecards.index, name="scorecards"),
    path("scorecards/<int:pk>/", scorecards.scorecard, name="scorecard"),
    path("scorecards/<int:pk>/export.csv", scorecards.export_csv, name="scorecard_csv"),
    path("scorecards/<int:pk>/export.xlsx", scorecards.export_xlsx, name="scorecard_xlsx"),
    path("scorecards/<int:pk>/exports/<int:job_pk>/", scorecards.export_job, name="scorecard_export"),
    path("scorecards/<int:pk>/exports/<int:job_pk>/download/", scorecards.export_download, name="scorecard_download"),
    path("scorecards/<int:pk>/close/", scorecards.close, name="scorecard_close"),
    path("scorecards/closed/<int:pk>/", scorecards.closed_period, name="closed_period"),
    path("scorecards/closed/<int:pk>/awards/", scorecards.award_add, name="award_add"),
    path("scorecards/closed/<int:pk>/awards/<int:award_pk>/confirm/", scorecards.award_confirm, name="award_confirm"),
    path("scorecards/closed/<int:pk>/awards/<int:award_pk>/remove/", scorecards.award_remove, name="award_remove"),
    path("scorecards/closed/<int:pk>/awards/confirm-all/", scorecards.award_confirm_all, name="award_confirm_all"),
    path("scorecards/closed/<int:pk>/awards/tie/", scorecards.award_tie, name="award_tie"),
    path("scorecards/closed/<int:pk>/reopen/", scorecards.reopen, name="closed_period_reopen"),
]
