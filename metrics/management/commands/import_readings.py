"""Import readings from a CSV file on the command line, with the same checks as the import page."""

from django.core.management.base import BaseCommand, CommandError

from metrics.models import Reading
from metrics.services import imports
from org.models import User


class Command(BaseCommand):
    help = (
        "Import readings from a CSV file (columns: metric, person, measured_at, value, denominator, note) as "
        "a person, with their rights. All or nothing unless --valid-only."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV file (UTF-8).")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            metavar="USERNAME",
            help="Whose import this is: their rights decide which readings they may record.",
        )
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="Record the rows without problems and report the others, instead of nothing.",
        )
        parser.add_argument(
            "--decimal",
            choices=[*imports.DECIMALS, "detect"],
            default="detect",
            help="The file's decimal separator: point (87.5) or comma (87,5). By default it is "
            "detected: a comma if the columns are separated by semicolons, else a point.",
        )
        parser.add_argument("--show", type=int, default=50, metavar="N", help="Print at most N problems (50).")

    def handle(self, *args, file, username, valid_only, show, decimal, **options):
        person = User.objects.filter(username__iexact=username, is_active=True).select_related("department").first()
        if person is None:
            raise CommandError(f"Nobody active has the username “{username}”.")
        try:
            stream = open(file, "rb")  # noqa: SIM115 (closed by the with below, outside this try)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        with stream:
            report = imports.import_readings(
                file=stream,
                recorded_by=person,
                valid_only=valid_only,
                source=Reading.Source.COMMAND,
                decimal=None if decimal == "detect" else decimal,
            )
        for problem in report.problems[:show]:
            self.stderr.write(f"  line {problem.line}: {problem.message}")
        unshown = report.problem_count - min(show, len(report.problems))
        if unshown > 0 and report.problems:
            self.stderr.write(f"  … and {unshown:,} more.")
        how = "detected" if report.decimal_detected else "as given"
        decimal_line = f"Decimal separator: {report.decimal} ({how}; --decimal point or comma to choose)."
        if not report.saved:
            raise CommandError(report.summary(file) + ("" if report.file_error else f" {decimal_line}"))
        self.stdout.write(self.style.SUCCESS(report.summary(file)))
        if options["verbosity"] > 1:
            self.stdout.write(decimal_line)
