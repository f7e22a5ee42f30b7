from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"
    verbose_name = "Quality definitions and goals"

    def ready(self) -> None:
        from goals import demo, today
        from goals.selectors import cascade

        today.register()
        demo.register()
        cascade.watch_sources()
