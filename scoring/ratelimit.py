"""Refused attempts per client in a sliding window: what stops a client trying tokens one by one.

Per server process and in memory, like the import gate: a 160-bit token cannot be guessed anyway,
so this bounds the load a prober can cause and tells a confused rater to slow down. Only refused
attempts count, so a room full of raters behind one address casting valid ballots is never slowed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_CLIENTS = 100_000  # forget the oldest clients beyond this (a flood of addresses cannot exhaust memory)


class Limiter:
    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window_s
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._seen.get(key)
        if q is None:
            if len(self._seen) >= MAX_CLIENTS:
                self._seen.pop(next(iter(self._seen)))
            q = self._seen[key] = deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def wait(self, key: str) -> float:
        """Seconds until `key` may try again (0: now)."""
        with self._lock:
            now = self.clock()
            q = self._recent(key, now)
            return 0.0 if len(q) < self.limit else q[0] + self.window - now

    def fail(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            self._recent(key, now).append(now)
