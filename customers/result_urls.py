from django.urls import path

from . import result_views

urlpatterns = [
    path("", result_views.index, name="results"),
    path("<int:pk>/", result_views.campaign_results, name="campaign_results"),
    path("<int:pk>/record-scores/", result_views.record_scores, name="record_scores"),
    path("<int:pk>/propose-revision/", result_views.propose_revision, name="propose_revision"),
    path("follow-ups/", result_views.follow_up_list, name="follow_ups"),
    path("follow-ups/<int:pk>/", result_views.follow_up_edit, name="follow_up"),
    path("internal-map/", result_views.internal_map, name="internal_map"),
]
