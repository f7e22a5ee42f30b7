from django.urls import path

from org import views

app_name = "org"
urlpatterns = [
    path("", views.organization, name="organization"),
    path("departments/<int:pk>/", views.department, name="department"),
]
