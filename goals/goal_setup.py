"""Registers the goals' home page section and demo step (imported by GoalsConfig.ready)."""
