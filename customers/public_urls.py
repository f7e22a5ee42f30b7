"""The customer's answer page: no account, a single-use expiring link (served at /r/<token>/)."""

from django.urls import path

from . import public_views

app_name = "respond"
urlpatterns = [
    path("thanks/", public_views.thanks, name="thanks"),
    path("<str:token>/", public_views.answer, name="answer"),
]
