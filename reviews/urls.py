from django.urls import include, path

app_name = "reviews"
urlpatterns = [
    path("", include("reviews.session_urls")),
    path("training/", include("reviews.training_urls")),
]
