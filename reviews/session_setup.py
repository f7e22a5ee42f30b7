"""Registers the review sessions' home page section and demo step (imported by ReviewsConfig.ready)."""
