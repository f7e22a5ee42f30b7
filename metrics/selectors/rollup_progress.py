"""Whether the rollups have caught up with a moment: pages that have just written readings ask, until they have.

The mark is the database's clock when the readings were written (after their writes, so every rollup key they
queued was queued at or before it); the rollups have caught up with it once no queued key is that old. A run
takes the queue whole, so this turns true with the first run that saw the readings, and later readings never
hold it back. Other keys queued before the mark (readings of others a moment earlier) wait for that same run.
"""

from datetime import datetime

from django.db import connection
from django.utils import timezone

from metrics.models import RollupQueue


def mark() -> datetime:
    """Now by the clock that stamps queued rollup keys (PostgreSQL's own, which may differ from this server's)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            return cursor.fetchone()[0]
    return timezone.now()


def caught_up(through: datetime) -> bool:
    """True when every rollup key queued at or before `through` has been rolled up. One query."""
    return not RollupQueue.objects.filter(queued_at__lte=through).exists()


def parse_mark(text: str | None) -> datetime | None:
    """A mark as a page carries it (ISO 8601, with its offset), or None when it is missing or not one."""
    if not text or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None
