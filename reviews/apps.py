from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Review sessions and refresher training"

    def ready(self) -> None:
        from reviews import session_setup, training_setup  # noqa: F401  (home page sections, demo steps, tasks)
