"""CSV import of readings, under /metrics/import/ in the metrics namespace."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("", import_views.upload, name="import"),
    path("<slug:token>/", import_views.preview, name="import_preview"),
    path("<slug:token>/discard/", import_views.discard, name="import_discard"),
]
