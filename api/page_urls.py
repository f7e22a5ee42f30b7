"""Pages about the API, under the account: /account/api/…"""

from django.urls import path

from api import views

app_name = "api_pages"
urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("service-accounts/", views.service_accounts, name="service_accounts"),
    path("service-accounts/<int:pk>/", views.service_account, name="service_account"),
    path(
        "service-accounts/<int:pk>/deactivate/",
        views.deactivate_service_account,
        name="deactivate_service_account",
    ),
    path("connect/", views.connect, name="connect"),
]
