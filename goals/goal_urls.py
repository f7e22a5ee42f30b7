from django.urls import path

from . import goal_views

urlpatterns = [
    path("", goal_views.index, name="index"),
    path("new/", goal_views.goal_create, name="goal_create"),
    path("<int:pk>/", goal_views.goal_detail, name="goal"),
    path("<int:pk>/edit/", goal_views.goal_edit, name="goal_edit"),
    path("<int:pk>/check-in/", goal_views.check_in, name="check_in"),
    path("cycles/", goal_views.cycle_list, name="cycle_list"),
    path("cycles/new/", goal_views.cycle_create, name="cycle_create"),
    path("cycles/<int:pk>/close/", goal_views.cycle_close, name="cycle_close"),
    path("cycles/<int:pk>/carry-over/", goal_views.carry_over, name="carry_over"),
    path("register/", goal_views.register, name="register"),
    path("register.csv", goal_views.register_csv, name="register_csv"),
    path("register.xlsx", goal_views.register_xlsx, name="register_xlsx"),
]
