"""The home page section of metrics: readings the person is expected to record and has not yet."""

from django.db.models import Max

from core import periods, today
from metrics.models import Metric, Reading
from metrics.selectors import figures as selectors

FREQUENCY_PERIOD = {Metric.Frequency.DAILY: periods.DAY, Metric.Frequency.WEEKLY: periods.WEEK,
                    Metric.Frequency.MONTHLY: periods.MONTH}


def readings_due(request) -> dict | None:
    """Per-person metrics with no reading from the person in the current day, week or month. Two queries."""
    user = request.user
    metrics = list(selectors.my_metrics(user).filter(owner_kind=Metric.Owner.PERSON).order_by("name"))
    if not metrics:
        return None
    day = periods.today()
    oldest = min(periods.bucket_start(day, FREQUENCY_PERIOD[m.frequency]) for m in metrics)
    latest = dict(Reading.objects.filter(person=user, metric__in=metrics, day__gte=oldest)
                  .values("metric").annotate(last=Max("day")).values_list("metric", "last"))
    due = [m for m in metrics
           if latest.get(m.pk) is None or latest[m.pk] < periods.bucket_start(day, FREQUENCY_PERIOD[m.frequency])]
    return {"due": due, "count": len(metrics)}


def register() -> None:
    today.register(key="metrics", title="Readings due", order=20, template="metrics/_today.html",
                   context=readings_due)
