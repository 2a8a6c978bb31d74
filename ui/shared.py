"""One process-wide cache for what every session reads: published results and what pages derive from them.

Keys start with what makes a value immutable — (store URL, period, published version), plus the
language or filters a derived value depends on — so an entry never needs invalidating: a new
publication is a new key, and the least recently used entries go when the cache is full.

It is a plain module-level object, not `st.cache_data`/`st.cache_resource`: nothing a client
sends (`clear_cache`, see ui/hardening.py) and no `st.cache_*.clear()` can evict it, and a hit
returns the object itself (no pickling copy). Values are therefore shared and must be treated as
read-only; callers that change a frame copy it first.

Concurrent misses of the same key compute once: the first caller computes while the others wait
for its value (20 leaders opening the same quarter at once cost one load, not twenty).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

T = TypeVar("T")
LOG = logging.getLogger("sanwei.shared")


class SharedCache:
    """A bounded LRU mapping with single-flight loading; thread-safe."""

    def __init__(self, max_entries: int = 512, per_kind: dict[str, int] | None = None):
        self.max_entries = max_entries
        self.per_kind = per_kind or {}  # kind (key[0]) -> at most this many entries of it (the big ones)
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._loading: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()
        self.loads: dict[str, int] = {}  # kind (key[0]) -> how often it was computed: tests and benchmarks read it

    def get(self, key: tuple, compute: Callable[[], T], keep: Callable[[T], bool] | None = None,
            quiet: bool = False) -> T:
        """The value of `key`, computing it on a miss; a value that `keep` refuses is returned but not
        stored. Each load is logged (INFO; DEBUG when `quiet`: what pages derive per unit or filter)."""
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    return self._data[key]
                waiting = self._loading.get(key)
                if waiting is None:
                    self._loading[key] = threading.Event()
                    break
            waiting.wait()  # another thread is computing it; then look again (it may have failed)
        try:
            value = compute()
        except BaseException:
            with self._lock:
                self._loading.pop(key).set()
            raise
        with self._lock:
            kind = str(key[0])
            if keep is None or keep(value):
                self._data[key] = value
                if kind in self.per_kind:
                    same = [k for k in self._data if k[0] == kind]  # oldest first
                    for old in same[:max(0, len(same) - self.per_kind[kind])]:
                        del self._data[old]
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
            self.loads[kind] = self.loads.get(kind, 0) + 1
            self._loading.pop(key).set()
        LOG.log(logging.DEBUG if quiet else logging.INFO, "loaded %s", key[:4])
        return value

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """For tests only; nothing in the app calls it."""
        with self._lock:
            self._data.clear()
            self.loads.clear()


# A scored quarter of a province is large: keep as many as Streamlit's cache used to (16); the
# derived page values are small and many (a unit page makes seven).
CACHE = SharedCache(max_entries=1024, per_kind={"result": 16, "sens_input": 16, "audit": 16, "rankings": 64})


def shared(key: tuple, compute: Callable[[], T], keep: Callable[[T], bool] | None = None, quiet: bool = False) -> T:
    """`CACHE.get(key, compute, keep, quiet)`."""
    return CACHE.get(key, compute, keep, quiet)


def per_run(name: str, compute: Callable[[], T]) -> T:
    """A value computed once per script run of this session (the signed-in account, the store's
    state), so a page that asks five times reads the store once. Outside a run: computed each time.

    A run is recognised by the cursor map Streamlit's ScriptRunContext.reset() replaces at the start
    of every run (full or fragment); the memo holds that very object, so identity cannot be reused."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return compute()
    memo = getattr(ctx, "_sanwei_run", None)
    if memo is None or memo[0] is not ctx.cursors:
        memo = (ctx.cursors, {})
        ctx._sanwei_run = memo
    values = memo[1]
    if name not in values:
        values[name] = compute()
    return values[name]


def forget_run(name: str) -> None:
    """Drop a per-run value (after signing in or out within a run)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    memo = getattr(ctx, "_sanwei_run", None) if ctx else None
    if memo is not None:
        memo[1].pop(name, None)
