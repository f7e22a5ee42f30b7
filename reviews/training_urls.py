from django.urls import path

from . import training_views as views

urlpatterns = [
    path("", views.my_training, name="training"),
    path("check/<int:definition_pk>/", views.take_quiz, name="quiz"),
    path("attempt/<str:nonce>/submit/", views.submit_quiz, name="quiz_submit"),
    path("attempt/<str:nonce>/", views.quiz_result, name="quiz_result"),
    path("programmes/", views.programmes, name="programmes"),
    path("programmes/new/", views.programme_form, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_form, name="programme_edit"),
    path("check/<int:definition_pk>/edit/", views.quiz_edit, name="quiz_edit"),
    path("compliance/", views.compliance_report, name="compliance"),
    path("compliance.csv", views.compliance_csv, name="compliance_csv"),
    path("compliance.xlsx", views.compliance_xlsx, name="compliance_xlsx"),
]
