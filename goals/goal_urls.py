from django.urls import path

from . import goal_views

urlpatterns = [
    path("", goal_views.index, name="index"),
]
