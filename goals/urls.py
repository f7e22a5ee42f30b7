from django.urls import include, path

app_name = "goals"
urlpatterns = [
    path("definitions/", include("goals.definition_urls")),
    path("goals/", include("goals.goal_urls")),
]
