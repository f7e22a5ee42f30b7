"""What announcing readings below target costs record_readings(): a batch of readings all below target, with a
subscription to reading.below_target (Keel's code) against the same batch with no subscription (baseline).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/webhooks.py --rows 10000
"""

import argparse
import statistics
from datetime import timedelta

from harness import best_of, scratch_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="readings per batch (default 10,000)")
    parser.add_argument("--metrics", type=int, default=10, help="metrics the batch spreads over (default 10)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with scratch_database("webhooks"):
        from django.utils import timezone

        from metrics.models import Metric, Reading, Target
        from metrics.services.readings import ReadingRow, record_readings
        from org.models import Department, User
        from webhooks import services
        from webhooks.events import Event
        from webhooks.models import Subscription, WebhookEvent
        from webhooks.signatures import new_secret

        services.best_effort.enqueue_on_commit = lambda *args, **kwargs: None  # no broker: the writes are measured
        acme = Department.objects.create(name="Acme", code="acme")
        admin = User.objects.create(username="bench-admin", is_staff=True, is_superuser=True, department=acme)
        metrics = [
            Metric.objects.create(
                department=acme, name=f"Metric {n}", code=f"metric-{n}", owner_kind=Metric.Owner.DEPARTMENT
            )
            for n in range(args.metrics)
        ]
        Target.objects.bulk_create([Target(metric=m, target=90) for m in metrics])
        start = timezone.now() - timedelta(days=30)
        rows = [
            ReadingRow(
                metric=metrics[n % len(metrics)], person=None, measured_at=start + timedelta(seconds=n), value=50.0
            )
            for n in range(args.rows)
        ]

        def record():
            record_readings(rows=rows, recorded_by=admin, source=Reading.Source.API, nudge_rollup=False)

        subscription = Subscription.objects.create(
            name="bench",
            url="https://hooks.example.com/",
            department=acme,
            events=[Event.READING_BELOW_TARGET],
            secret=new_secret(),
            is_active=False,
        )

        def subscribed(active: bool):
            Subscription.objects.filter(pk=subscription.pk).update(is_active=active)
            record()

        # Interleaved, so that both see the same table (every run updates the same readings).
        baselines, keels = [], []
        for _ in range(args.runs):
            baselines.append(best_of(lambda: subscribed(False), runs=1))
            keels.append(best_of(lambda: subscribed(True), runs=1))
        baseline, keel = statistics.median(baselines), statistics.median(keels)
        events = WebhookEvent.objects.count()
        print(f"record_readings of {args.rows:,} readings below target over {args.metrics} metrics")
        print(f"no subscription: {baseline:.3f} s; subscribed to reading.below_target: {keel:.3f} s ({events} events)")
        print(f"ratio={keel / baseline:.2f}")


if __name__ == "__main__":
    main()
