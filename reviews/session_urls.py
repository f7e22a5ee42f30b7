from django.urls import path

from . import session_views

urlpatterns = [
    path("", session_views.index, name="index"),
    path("sessions/new/", session_views.schedule, name="schedule"),
    path("sessions/<int:pk>/", session_views.session_detail, name="session"),
    path("sessions/<int:pk>/calendar.ics", session_views.session_ics, name="session_ics"),
    path("sessions/<int:pk>/respond/", session_views.respond, name="respond"),
    path("sessions/<int:pk>/cancel/", session_views.cancel, name="cancel"),
    path("sessions/<int:pk>/attendance/", session_views.attendance, name="attendance"),
    path("sessions/<int:pk>/minutes/", session_views.minutes, name="minutes"),
    path("sessions/<int:pk>/actions/", session_views.action_add, name="action_add"),
    path("actions/<int:pk>/done/", session_views.action_done, name="action_done"),
    path("series/new/", session_views.series_create, name="series_create"),
    path("series/<int:pk>/", session_views.series_detail, name="series"),
    path("series/<int:pk>/edit/", session_views.series_edit, name="series_edit"),
    path("series/<int:pk>/end/", session_views.series_end, name="series_end"),
    path("answer/<str:token>/", session_views.answer, name="answer"),
]
