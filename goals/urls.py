from django.urls import path

from . import views

app_name = "goals"
urlpatterns = [
    path("definitions/", views.definitions, name="definitions"),
    path("goals/", views.index, name="index"),
]
