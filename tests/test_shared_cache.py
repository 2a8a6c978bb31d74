"""ui.shared: the process-wide cache pages share (LRU, per-kind caps, single-flight loading)."""

from __future__ import annotations

import threading
import time

import pytest

from ui.shared import SharedCache


def test_lru_and_per_kind_caps():
    c = SharedCache(max_entries=4, per_kind={"big": 2})
    for i in range(3):
        c.get(("big", i), lambda i=i: i)
    assert [k for k in c._data] == [("big", 1), ("big", 2)]  # the oldest big one went first
    c.get(("big", 1), lambda: "again")  # a hit: not recomputed, and now the most recent
    for i in range(3):
        c.get(("small", i), lambda i=i: i)
    assert len(c) == 4 and ("big", 1) in c._data and ("big", 2) not in c._data
    assert c.loads == {"big": 3, "small": 3}


def test_concurrent_misses_compute_once_and_failures_are_not_kept():
    c = SharedCache()
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "value"
    threads = [threading.Thread(target=lambda: c.get(("k",), slow)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and c.get(("k",), slow) == "value"

    def boom():
        raise RuntimeError("store unreachable")
    with pytest.raises(RuntimeError):
        c.get(("x",), boom)
    assert c.get(("x",), lambda: 2) == 2  # the failure was not cached; the next caller loads


def test_a_refused_value_is_returned_but_not_kept():
    c = SharedCache()
    assert c.get(("h",), lambda: "stale", keep=lambda v: False) == "stale"
    assert c.get(("h",), lambda: "fresh") == "fresh"
