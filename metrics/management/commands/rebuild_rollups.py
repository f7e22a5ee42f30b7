"""Recompute every rollup from readings (after a time-zone change, or to check the incremental result)."""

from django.core.management.base import BaseCommand
from django.db.models.functions import TruncDate

from core import periods
from metrics.models import Reading
from metrics.services import rollups


class Command(BaseCommand):
    help = "Recompute all day, week and month rollups from readings."

    def add_arguments(self, parser):
        parser.add_argument(
            "--recompute-days",
            action="store_true",
            help="First recompute each reading's day from its time (after changing KEEL_TIME_ZONE).",
        )

    def handle(self, *args, recompute_days, **options):
        if recompute_days:
            changed = Reading.objects.exclude(day=TruncDate("measured_at", tzinfo=periods.organization_zone())).update(
                day=TruncDate("measured_at", tzinfo=periods.organization_zone())
            )
            self.stdout.write(f"{changed} reading(s) moved to another day in {periods.organization_zone()}.")
        result = rollups.run(full=True)
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {result.buckets} rollup buckets in {result.seconds:.2f}s."))
