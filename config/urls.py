"""Root URLs: one include per app, the admin, sign-in pages and the health check."""

from django.contrib import admin
from django.urls import include, path

from core import views as core_views
from customers.urls import public_urlpatterns
from org import views as org_views

admin.site.site_header = "Keel administration"
admin.site.site_title = "Keel admin"
admin.site.index_title = "Organization, schedules and data"

urlpatterns = [
    path("", org_views.today, name="today"),
    path("healthz", org_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("manifest.webmanifest", core_views.web_manifest, name="web_manifest"),
    path("accounts/", include("org.account_urls")),
    path("org/", include("org.urls")),
    path("", include("goals.urls")),  # definitions/ and goals/
    path("metrics/", include("metrics.urls")),
    path("reviews/", include("reviews.urls")),
    path("customers/", include("customers.urls")),
    path("search/", include("search.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("r/", include((public_urlpatterns, "respond"))),  # customers answer here, without an account
    path("api/v1/", include("api.urls")),
    path("account/api/", include("api.page_urls")),
    path("admin/", admin.site.urls),
]
