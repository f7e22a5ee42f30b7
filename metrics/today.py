"""The home page section of metrics: readings the person is expected to record and has not yet.

The same rule as the dashboards: the current day, week or month is open until it is over (its reading is due by
its last day, not missing), and a period that is over without a reading is missed.
"""

from datetime import date

from core import periods, today
from metrics.models import Metric, Reading
from metrics.selectors import figures as selectors

FREQUENCY_PERIOD = {
    Metric.Frequency.DAILY: periods.DAY,
    Metric.Frequency.WEEKLY: periods.WEEK,
    Metric.Frequency.MONTHLY: periods.MONTH,
}


def readings_due(request) -> dict | None:
    """Per-person metrics with no reading from the person in the current day, week or month (`due`, each with the
    day it is due by), and those whose last complete period has none either (`missed`). Two queries."""
    user = request.user
    metrics = list(selectors.my_metrics(user).filter(owner_kind=Metric.Owner.PERSON).order_by("name"))
    if not metrics:
        return None
    day = periods.today()
    current = {m.pk: periods.bucket_start(day, FREQUENCY_PERIOD[m.frequency]) for m in metrics}
    previous = {m.pk: periods.shift(current[m.pk], FREQUENCY_PERIOD[m.frequency], -1) for m in metrics}
    recorded = set(
        Reading.objects.filter(person=user, metric__in=metrics, day__gte=min(previous.values()))
        .values_list("metric", "day")
        .distinct()
    )

    def has_reading(metric: Metric, start: date) -> bool:
        end = periods.bucket_end(start, FREQUENCY_PERIOD[metric.frequency])
        return any(metric_id == metric.pk and start <= on <= end for metric_id, on in recorded)

    due = [m for m in metrics if not has_reading(m, current[m.pk])]
    rows = [
        {
            "metric": m,
            "by": periods.bucket_end(current[m.pk], FREQUENCY_PERIOD[m.frequency]),
            "missed": not has_reading(m, previous[m.pk]),
            "missed_label": periods.previous_label(FREQUENCY_PERIOD[m.frequency]),
        }
        for m in due
    ]
    return {
        "due": due,
        "rows": rows,
        "missed": [r["metric"] for r in rows if r["missed"]],
        "count": len(metrics),
        "today": day,
    }


def register() -> None:
    today.register(key="metrics", title="Readings due", order=20, template="metrics/_today.html", context=readings_due)
