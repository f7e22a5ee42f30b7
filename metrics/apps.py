from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Performance metrics"

    def ready(self) -> None:
        from metrics import demo, today

        today.register()
        demo.register()
