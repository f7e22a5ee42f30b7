from django.urls import path

from . import session_views

urlpatterns = [
    path("", session_views.index, name="index"),
]
