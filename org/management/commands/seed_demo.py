"""Build (or complete) Keel's demo organization: deterministic for a seed, and safe to run again."""

import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import demo
from org.demo import SIZES


class Command(BaseCommand):
    help = "Create a believable demo organization with data for every part of Keel. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=sorted(SIZES),
            default="small",
            help="small: about 30 departments and 180 people; large: 100+ departments, 5,000+ people.",
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed; the same seed gives the same data.")
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (it adds people with a known password)."
        )

    def handle(self, *args, size, seed, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo adds people whose password is the public demo password; it refuses to "
                "run with DJANGO_DEBUG=false. Pass --force if this really is a demo installation."
            )
        for step in demo.steps():
            # Each step draws from its own generator, so a step that finds its data already there (and draws
            # nothing) leaves every later step's data unchanged.
            summary = step.run(rng=random.Random(f"{seed}:{step.name}"), size=size, stdout=self.stdout)
            self.stdout.write(f"  {summary}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready (size {size}, seed {seed}). Sign in as {', '.join(demo.DEMO_LOGINS)} "
                f"with the password {demo.DEMO_PASSWORD}."
            )
        )
