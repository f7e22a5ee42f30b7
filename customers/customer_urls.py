from django.urls import path

from . import customer_views

urlpatterns = [
    path("", customer_views.index, name="index"),
]
