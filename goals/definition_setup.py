"""Registers the quality definitions' home page section and demo step (imported by GoalsConfig.ready)."""
