"""Signals metrics sends so that other parts (caches of frozen scorecards, notifications) can react."""

from django.dispatch import Signal

# Sent after the transaction that reopened a closed period commits, with closed_period=<ClosedPeriod>.
# Anything that keeps a copy of the frozen scorecard (a cache of closed scorecards) must drop it here.
period_reopened = Signal()
