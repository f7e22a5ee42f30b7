from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"
    verbose_name = "Quality definitions and goals"

    def ready(self) -> None:
        from goals import definition_setup, goal_setup  # noqa: F401  (home page sections and demo steps)
