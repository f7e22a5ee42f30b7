from django.urls import path

from . import customer_views

urlpatterns = [
    path("", customer_views.index, name="index"),
    path("add/", customer_views.customer_add, name="customer_add"),
    path("<int:pk>/edit/", customer_views.customer_edit, name="customer_edit"),
    path("<int:pk>/opt-out/", customer_views.customer_opt_out, name="customer_opt_out"),
    path("internal/<int:department_pk>/", customer_views.internal, name="internal"),
    path("import/", customer_views.customer_import, name="import"),
    path("import/<str:token>/", customer_views.customer_import_preview, name="import_preview"),
    path("import/<str:token>/discard/", customer_views.customer_import_discard, name="import_discard"),
]
