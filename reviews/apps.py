from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Review sessions and refresher training"

    def ready(self) -> None:
        from reviews import demo, today

        today.register()
        demo.register()
