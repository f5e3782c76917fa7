"""One session's slow analysis (a slow task file) never blocks another session's analysis."""

import threading
import time

from workbench.state.lru import LRU


def test_a_slow_analysis_does_not_block_a_different_one():
    store = LRU(16)
    slow_key, other_key = ("file:slow", "m1"), ("Parity_All", "m2")
    holding, release = threading.Event(), threading.Event()

    def slow_session():
        with store.compute_lock(slow_key):
            holding.set()
            release.wait(30)

    t = threading.Thread(target=slow_session)
    t.start()
    try:
        assert holding.wait(10)
        start = time.monotonic()
        got = store.compute_lock(other_key).acquire(timeout=5)
        assert got and time.monotonic() - start < 1.0
        store.compute_lock(other_key).release()
        # the same analysis asked twice waits for the first (it is computed once)
        assert not store.compute_lock(slow_key).acquire(timeout=0.2)
    finally:
        release.set()
        t.join()
