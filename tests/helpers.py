"""Helpers every test package shares: the suite's controlled clock."""

import os
from datetime import datetime

# Every test runs on a controlled clock that starts at this moment and ticks on, so no expectation depends on the
# day or hour the suite happens to run. CI also runs the suite at awkward moments (a Monday 06:00 UTC in ISO week
# 53, a daylight-saving day) by setting KEEL_TEST_NOW to an ISO 8601 moment with its offset.
TEST_NOW = datetime.fromisoformat(os.environ.get("KEEL_TEST_NOW") or "2026-11-25T10:30:00+00:00")
