from django.urls import path

from . import definition_views

urlpatterns = [
    path("", definition_views.index, name="definitions"),
]
