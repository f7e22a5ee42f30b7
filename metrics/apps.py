from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Performance metrics"

    def ready(self) -> None:
        from metrics import demo, today  # noqa: F401  (registers the demo step and the home page section)
