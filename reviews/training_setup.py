"""Registers refresher training's home page section, demo step and tasks (imported by ReviewsConfig.ready)."""

from . import training  # noqa: F401  (registers the beat task reviews.training.invite_due_people)
