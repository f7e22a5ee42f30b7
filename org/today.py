"""The home page section of org: the person's team."""

from core import today
from org.selectors import team_overview


def register() -> None:
    today.register(key="org", title="Your team", order=90, template="org/_today_team.html", context=team_overview)
