"""The registry of the home page ("Today"): sections contributed by each app, so the page knows none of their models.

An app registers its sections from its own today.py, called by its AppConfig.ready():

    today.register(key="metrics", title="Readings due", order=20, template="metrics/_today.html",
                   context=readings_due_context)

`context(request)` returns the template's context, or None when the section has nothing to say today.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    order: int
    template: str
    context: Callable[[HttpRequest], dict | None]


_sections: dict[str, Section] = {}


def register(*, key: str, title: str, order: int, template: str, context: Callable[[HttpRequest], dict | None]) -> None:
    _sections[key] = Section(key=key, title=title, order=order, template=template, context=context)


def sections_for(request: HttpRequest) -> list[dict]:
    """The sections with something to show this person, in order, each with its own context."""
    shown = []
    for section in sorted(_sections.values(), key=lambda s: (s.order, s.key)):
        data = section.context(request)
        if data is not None:
            shown.append({"key": section.key, "title": section.title, "template": section.template, "data": data})
    return shown
