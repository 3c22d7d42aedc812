"""How much snapshot history is kept: HEALTHSCORE_HISTORY_DAYS days back from today (0 keeps
everything), pruned daily by `scoring.tasks.prune_history`."""

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from scoring.current_health import current_health_changed
from scoring.models import HealthSnapshot

PRUNE_BATCH_DAYS = 7


def history_start(today: date | None = None) -> date | None:
    """The first day of history kept, or None when all of it is."""
    days = settings.HEALTHSCORE_HISTORY_DAYS
    if not days:
        return None
    return (today or timezone.localdate()) - timedelta(days=days - 1)


def history_prune(today: date | None = None) -> int:
    """Delete the snapshots older than the history kept, a week of days per statement so that
    no transaction holds millions of rows; return how many went. A book's current-health rows
    never point that far back (they hold each account's latest snapshot)."""
    start = history_start(today)
    if start is None:
        return 0
    oldest = HealthSnapshot.objects.order_by("date").values_list("date", flat=True).first()
    removed = 0
    while oldest is not None and oldest < start:
        upto = min(start, oldest + timedelta(days=PRUNE_BATCH_DAYS))
        count, _ = HealthSnapshot.objects.filter(date__gte=oldest, date__lt=upto).delete()
        removed += count
        oldest = upto
    if removed:  # the book's "health as of" day is the latest day of snapshots
        current_health_changed()
    return removed
