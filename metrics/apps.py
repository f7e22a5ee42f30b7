from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Performance metrics"

    def ready(self) -> None:
        from metrics import demo, signals, today
        from metrics.selectors import scorecards
        from org.signals import department_moved

        today.register()
        demo.register()
        scorecards.watch_sources()
        signals.period_reopened.connect(_forget_reopened_scorecard, dispatch_uid="metrics.forget_reopened_scorecard")
        department_moved.connect(_queue_moved_department, dispatch_uid="metrics.queue_moved_department")


def _forget_reopened_scorecard(sender, closed_period, **kwargs) -> None:
    """A reopened period's frozen scorecard is no longer the truth: drop what the scorecard cache holds of it."""
    from metrics.selectors.scorecards import forget_closed_scorecard

    forget_closed_scorecard(closed_period)


def _queue_moved_department(sender, department, old_path, new_path, **kwargs) -> None:
    """A moved department's figures leave the totals of the departments it left and join those it joined: queue
    those buckets, and roll them up once the move commits (or nudge the worker)."""
    from metrics.services import rollups

    if rollups.queue_moved_department(department_id=department.pk, old_path=old_path, new_path=new_path):
        rollups.roll_up_now_if_free()
