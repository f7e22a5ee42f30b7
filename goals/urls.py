"""URLs of quality definitions (under definitions/) and goals (under goals/), namespace goals."""

from django.urls import path

from goals.views import definitions, goals

app_name = "goals"

urlpatterns = [
    # Quality definitions
    path("definitions/", definitions.index, name="definitions"),
    path("definitions/new/", definitions.create, name="definition_create"),
    path("definitions/<int:pk>/", definitions.detail, name="definition"),
    path("definitions/<int:pk>/edit/", definitions.edit, name="definition_edit"),
    path("definitions/<int:pk>/publish/", definitions.publish, name="definition_publish"),
    path("definitions/<int:pk>/retire/", definitions.retire, name="definition_retire"),
    path("definitions/<int:pk>/acknowledge/", definitions.acknowledge, name="definition_acknowledge"),
    path("definitions/<int:pk>/coverage/", definitions.coverage, name="definition_coverage"),
    # S.M.A.R.T. goals, cycles and the register
    path("goals/", goals.index, name="index"),
    path("goals/new/", goals.goal_create, name="goal_create"),
    path("goals/<int:pk>/", goals.goal_detail, name="goal"),
    path("goals/<int:pk>/edit/", goals.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/check-in/", goals.check_in, name="check_in"),
    path("goals/cycles/", goals.cycle_list, name="cycle_list"),
    path("goals/cycles/new/", goals.cycle_create, name="cycle_create"),
    path("goals/cycles/<int:pk>/close/", goals.cycle_close, name="cycle_close"),
    path("goals/cycles/<int:pk>/carry-over/", goals.carry_over, name="carry_over"),
    path("goals/register/", goals.register, name="register"),
    path("goals/register.csv", goals.register_csv, name="register_csv"),
    path("goals/register.xlsx", goals.register_xlsx, name="register_xlsx"),
]
