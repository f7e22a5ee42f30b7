"""URLs of review sessions and refresher training (under training/), namespace reviews."""

from django.urls import path

from reviews.views import sessions, training

app_name = "reviews"

urlpatterns = [
    # Review sessions and series
    path("", sessions.index, name="index"),
    path("sessions/new/", sessions.schedule, name="schedule"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session"),
    path("sessions/<int:pk>/calendar.ics", sessions.session_ics, name="session_ics"),
    path("sessions/<int:pk>/respond/", sessions.respond, name="respond"),
    path("sessions/<int:pk>/cancel/", sessions.cancel, name="cancel"),
    path("sessions/<int:pk>/attendance/", sessions.attendance, name="attendance"),
    path("sessions/<int:pk>/minutes/", sessions.minutes, name="minutes"),
    path("sessions/<int:pk>/actions/", sessions.action_add, name="action_add"),
    path("actions/<int:pk>/done/", sessions.action_done, name="action_done"),
    path("series/new/", sessions.series_create, name="series_create"),
    path("series/<int:pk>/", sessions.series_detail, name="series"),
    path("series/<int:pk>/edit/", sessions.series_edit, name="series_edit"),
    path("series/<int:pk>/end/", sessions.series_end, name="series_end"),
    path("answer/<str:token>/", sessions.answer, name="answer"),
    # Refresher training, comprehension checks, compliance
    path("training/", training.my_training, name="training"),
    path("training/check/<int:definition_pk>/", training.take_quiz, name="quiz"),
    path("training/attempt/<str:nonce>/submit/", training.submit_quiz, name="quiz_submit"),
    path("training/attempt/<str:nonce>/", training.quiz_result, name="quiz_result"),
    path("training/programmes/", training.programmes, name="programmes"),
    path("training/programmes/new/", training.programme_form, name="programme_create"),
    path("training/programmes/<int:pk>/", training.programme_form, name="programme_edit"),
    path("training/check/<int:definition_pk>/edit/", training.quiz_edit, name="quiz_edit"),
    path("training/compliance/", training.compliance_report, name="compliance"),
    path("training/compliance.csv", training.compliance_csv, name="compliance_csv"),
    path("training/compliance.xlsx", training.compliance_xlsx, name="compliance_xlsx"),
]
