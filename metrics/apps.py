from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Performance metrics"

    def ready(self) -> None:
        from metrics import demo, signals, today

        today.register()
        demo.register()
        signals.period_reopened.connect(_forget_reopened_scorecard, dispatch_uid="metrics.forget_reopened_scorecard")


def _forget_reopened_scorecard(sender, closed_period, **kwargs) -> None:
    """A reopened period's frozen scorecard is no longer the truth: drop what the scorecard cache holds of it."""
    from metrics.selectors.scorecards import forget_closed_scorecard

    forget_closed_scorecard(closed_period)
