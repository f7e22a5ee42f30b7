"""What a CSV import found, for every importer: counts, the first problems and the first rows.

Importers subclass ImportReport to add their own counts and the one-line summary people read.
"""

from dataclasses import dataclass, field

PREVIEW_ROWS = 20
SHOWN_PROBLEMS = 200


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    rejected_rows: int = 0
    problem_count: int = 0
    problems: list = field(default_factory=list)  # the first SHOWN_PROBLEMS problems, each with its line
    preview: list = field(default_factory=list)  # the first PREVIEW_ROWS rows, with their problems
    file_error: str | None = None
    saved: bool = False

    @property
    def ok(self) -> bool:
        return self.file_error is None and self.problem_count == 0

    @property
    def valid_rows(self) -> int:
        return self.rows - self.rejected_rows

    @property
    def unshown_problems(self) -> int:
        return self.problem_count - len(self.problems)

    def add(self, row) -> None:
        """Count one parsed row (anything with `problems`), keeping the first problems and rows to show."""
        self.rows += 1
        if row.problems:
            self.rejected_rows += 1
            self.problem_count += len(row.problems)
            self.problems.extend(row.problems[: SHOWN_PROBLEMS - len(self.problems)])
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append(row)
