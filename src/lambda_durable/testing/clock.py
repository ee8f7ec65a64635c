"""The local service's virtual clock.

Virtual time = wall-clock time + an offset that only grows. The service *skips* the clock forward
to the next timer instead of sleeping, so a 7-day wait completes at once, and between skips the
clock keeps running with the wall clock (every reading is distinct and monotonic, and never behind
wall time). Readings are truncated to whole milliseconds, the resolution of the timestamps in the
invocation event, so a datetime handed to a client and its epoch-millisecond form always agree.
"""
from __future__ import annotations

import datetime
import threading
import time

_UTC = datetime.timezone.utc


class VirtualClock:
    """A monotonic UTC clock that can be moved forward (thread-safe).

    ``now()`` returns an aware UTC ``datetime``; ``time()`` the same instant as epoch seconds
    (float). ``advance(seconds)`` and ``advance_to(instant)`` move it forward; it never goes back.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._last = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Virtual now, epoch seconds with millisecond resolution (never decreases)."""
        with self._lock:
            return self._read()

    def _read(self) -> float:
        value = int((time.time() + self._offset) * 1000) / 1000
        if value < self._last:
            value = self._last
        self._last = value
        return value

    def now(self) -> datetime.datetime:
        """Virtual now as an aware UTC datetime (millisecond resolution)."""
        return from_epoch(self.time())

    @property
    def offset(self) -> float:
        """Seconds the clock is ahead of the wall clock."""
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` (>= 0) forward."""
        if seconds < 0:
            raise ValueError("the clock cannot go back")
        with self._lock:
            self._offset += seconds

    def advance_to(self, instant: float) -> float:
        """Move the clock forward so that ``time() >= instant`` (epoch seconds); returns the
        number of seconds skipped (0 when the instant is not in the future)."""
        with self._lock:
            gap = instant - self._read()
            if gap <= 0:
                return 0.0
            self._offset += gap
            return gap

    def wall_seconds_until(self, instant: float) -> float:
        """Wall-clock seconds until the virtual clock reaches ``instant`` without skipping."""
        return max(0.0, instant - self.time())


def from_epoch(seconds: float) -> datetime.datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.datetime.fromtimestamp(seconds, tz=_UTC)


def to_epoch_millis(value: datetime.datetime) -> int:
    """An aware datetime as integer epoch milliseconds (the invocation event's timestamp form)."""
    return round(value.timestamp() * 1000)
