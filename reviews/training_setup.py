"""Registers refresher training's home page section, demo step and tasks (imported by ReviewsConfig.ready)."""
