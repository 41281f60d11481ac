"""Wall-clock helpers for tests that must not depend on the hour they run at."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def room_today(tz: str, need: timedelta) -> timedelta:
    """How much of today is left in *tz*; when less than *need* is left, wait for the new day
    first. "Due today" ends at local midnight: a follow-up due in a fixed 30 minutes fell on
    tomorrow when CI ran at 23:37 Istanbul time."""
    zone = ZoneInfo(tz)
    now = datetime.now(zone)
    left = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), zone) - now
    if left >= need:
        return left
    time.sleep(left.total_seconds() + 1)
    return room_today(tz, need)
