"""Template tags of the scorecard pages."""

from django import template

from metrics import status
from metrics.selectors.scorecards import NOT_APPLICABLE_LOOK

register = template.Library()


@register.simple_tag
def status_looks() -> list[status.Look]:
    """Every look a scorecard cell can take, in the legend's order: the statuses, then "does not apply"."""
    return [*status.LOOKS.values(), NOT_APPLICABLE_LOOK]
