from django.urls import path

from . import campaign_views

urlpatterns = [
    path("", campaign_views.campaign_list, name="campaigns"),
    path("new/", campaign_views.campaign_create, name="campaign_create"),
    path("<int:pk>/", campaign_views.campaign_detail, name="campaign"),
    path("<int:pk>/questions/", campaign_views.campaign_questions, name="campaign_questions"),
    path("<int:pk>/draw/", campaign_views.campaign_draw, name="campaign_draw"),
    path("<int:pk>/send/", campaign_views.campaign_send, name="campaign_send"),
]
