from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Review sessions and refresher training"

    def ready(self) -> None:
        from reviews import demo, today
        from reviews.selectors import compliance

        today.register()
        demo.register()
        compliance.watch_sources()
