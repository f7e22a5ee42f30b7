"""The organization-wide scorecard as Excel against the same scorecard as CSV, on the large demo, in the same run.

Builds the large demo (108 departments, 5,241 people) in a scratch database and times, end to end as a person
waits for them, the two exports of the whole organization's matrix for the last complete week (all 5,241 people
rows): the CSV as metrics.views.scorecards streams it (build, sort, every line written), and the workbook as the
worker writes it (metrics.services.scorecard_exports: build, sort, openpyxl write-only). Prints both, and last
`ratio=<xlsx/csv>` (target: 3 or less).

--reuse times the database DATABASE_URL names as it is (already seeded with the large demo) and drops nothing.
"""

import argparse
import os
import sys

from harness import ROOT, best_of, scratch_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="use DATABASE_URL's database as it is (seeded)")
    args = parser.parse_args()
    if args.reuse:
        from contextlib import nullcontext

        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        from django.db import connection

        context = nullcontext(connection)
    else:
        context = scratch_database("exports_pages")
    with context as connection:
        from io import StringIO

        from django.core.management import call_command

        from core.spreadsheets import csv_lines
        from metrics.forms.scorecards import ScorecardFilterForm
        from metrics.selectors import scorecards
        from org.models import Department, User

        if not args.reuse:
            call_command("seed_demo", size="large", force=True, stdout=StringIO())
        root = Department.objects.get(parent=None)
        selection = ScorecardFilterForm({}).selection()
        print(f"{Department.objects.count()} departments, {User.objects.count()} people, {connection.vendor}")

        def rows():
            card = scorecards.load_scorecard(department=root, period=selection.period, start=selection.start).scorecard
            return card, scorecards.sort_rows(card.rows(scorecards.PEOPLE), card.columns, "name")

        def csv_export() -> int:
            card, shown = rows()
            return sum(len(line.encode()) for line in csv_lines(scorecards.export_lines(card, shown)))

        def xlsx_export() -> int:
            card, shown = rows()
            return len(scorecards.xlsx_bytes(card, shown))

        card, shown = rows()
        print(f"organization scorecard {card.label}: {len(shown)} rows, {len(card.columns)} metrics")
        print(f"csv {csv_export() / 1e6:.2f} MB, xlsx {xlsx_export() / 1e6:.2f} MB")
        build = best_of(rows, runs=args.runs)
        csv_time = best_of(csv_export, runs=args.runs)
        xlsx_time = best_of(xlsx_export, runs=args.runs)
        print(f"build and sort alone:        {build * 1000:.0f} ms")
        print(f"csv export (streamed lines): {csv_time * 1000:.0f} ms")
        print(f"xlsx export (written rows):  {xlsx_time * 1000:.0f} ms")
        print(f"ratio={xlsx_time / csv_time:.2f}")


if __name__ == "__main__":
    main()
