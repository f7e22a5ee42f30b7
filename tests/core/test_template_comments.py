"""Django's {# #} comment ends on its own line: one left open shows its words on the page (the dashboard cards
printed theirs above every metric and stretched the chart). Longer comments use {% comment %}."""

from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_no_template_has_a_comment_that_runs_over_a_line():
    open_comments = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line[line.index("{#") :]
    ]
    assert open_comments == []
