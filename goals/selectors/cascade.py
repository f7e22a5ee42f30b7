"""The goal cascade's tree, rendered once per state of what it shows and kept in the cache (Redis in production).

The tree shows every goal of a cycle the viewer may see with its progress: goals, their alignments and
milestones, the cycle, the metrics and rollups behind the figures, the departments and owners named. Its key
is the data stamp of those tables (core.stamps; a rollup run writes metrics_rolluprun in the transaction of its
buckets), the organization's day (expected progress moves with it), the cycle, and exactly which goals the viewer
may see; so a write anywhere in them, a new day or another viewer's narrower view never meets an old tree.
"""

import hashlib

from django.conf import settings
from django.utils import translation

from core import periods, stamps
from org.models import PEOPLE_AS_SHOWN

STAMP = "goals"
CACHE_SECONDS = 60 * 60
CACHE_FORMAT = 1  # move on when the tree's markup changes
WATCHED = (
    "goals_goalcycle",
    "goals_goal",
    "goals_alignment",
    "goals_keyresult",
    "goals_qualitydefinition",
    "metrics_metric",
    "metrics_rolluprun",
    "org_department",
    PEOPLE_AS_SHOWN,
)


def watch_sources() -> None:
    """Declare what the tree is derived from (called by GoalsConfig.ready)."""
    stamps.watch_all(STAMP, WATCHED)


def tree_key(*, cycle_id: int, visible: set[int] | None) -> str | None:
    """Where the cycle's tree, as seen by someone who may see `visible` goals (None: all of them), is cached;
    None (cache nothing) when the data stamp cannot be read. One query."""
    version = stamps.version(STAMP)
    if version is None:
        return None
    seen = "all" if visible is None else sorted(visible)
    parts = (cycle_id, seen, periods.today().isoformat(), settings.TIME_ZONE, translation.get_language())
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"keel:cascade:{CACHE_FORMAT}:{version}:{digest}"
