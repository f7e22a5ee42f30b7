"""The Today and demo registries: each app registers its sections and steps from AppConfig.ready(), explicitly."""

import importlib

import pytest

from core import demo, today

APPS = ("org", "metrics", "goals", "reviews", "customers")
SECTIONS = [  # key, order, template
    ("definitions", 10, "goals/_today_acknowledge.html"),
    ("metrics", 20, "metrics/_today.html"),
    ("reviews", 30, "reviews/_session_today.html"),
    ("training", 35, "reviews/_training_today.html"),
    ("goals", 40, "goals/_goal_today.html"),
    ("follow-ups", 50, "customers/follow_up_today.html"),
    ("org", 90, "org/_today_team.html"),
]
STEPS = [
    ("organization", 0),
    ("metrics", 10),
    ("definitions", 20),
    ("goals", 30),
    ("review-sessions", 40),
    ("refresher-training", 45),
    ("customers", 50),
    ("customer-campaigns", 55),
]


@pytest.fixture
def empty_registries(monkeypatch):
    monkeypatch.setattr(today, "_sections", {})
    monkeypatch.setattr(demo, "_steps", {})


def test_it_registers_every_section_and_step_once_the_apps_are_ready():
    assert [(s.key, s.order, s.template) for s in sorted(today._sections.values(), key=lambda s: s.order)] == SECTIONS
    assert [(s.name, s.order) for s in demo.steps()] == STEPS


def test_it_registers_nothing_on_import(empty_registries):
    for app in APPS:
        for name in ("today", "demo"):
            importlib.reload(importlib.import_module(f"{app}.{name}"))
    assert today._sections == {}
    assert demo._steps == {}


def test_it_registers_each_apps_own_sections_and_steps_when_asked(empty_registries):
    for app in APPS:
        importlib.import_module(f"{app}.today").register()
        importlib.import_module(f"{app}.demo").register()
    assert sorted((s.key, s.order, s.template) for s in today._sections.values()) == sorted(SECTIONS)
    assert [(s.name, s.order) for s in demo.steps()] == STEPS
