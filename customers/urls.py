from django.urls import include, path

app_name = "customers"
urlpatterns = [
    path("", include("customers.customer_urls")),
    path("campaigns/", include("customers.campaign_urls")),
    path("results/", include("customers.result_urls")),
]
