from django.urls import path

from . import definition_views

urlpatterns = [
    path("", definition_views.index, name="definitions"),
    path("new/", definition_views.create, name="definition_create"),
    path("<int:pk>/", definition_views.detail, name="definition"),
    path("<int:pk>/edit/", definition_views.edit, name="definition_edit"),
    path("<int:pk>/publish/", definition_views.publish, name="definition_publish"),
    path("<int:pk>/retire/", definition_views.retire, name="definition_retire"),
    path("<int:pk>/acknowledge/", definition_views.acknowledge, name="definition_acknowledge"),
    path("<int:pk>/coverage/", definition_views.coverage, name="definition_coverage"),
]
