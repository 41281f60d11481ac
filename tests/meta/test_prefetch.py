import threading
import time

import pytest

from app.meta.prefetch import prefetched


def test_items_arrive_in_order_and_are_fetched_in_another_thread():
    threads = []

    def source():
        for i in range(5):
            threads.append(threading.current_thread().name)
            yield i

    assert list(prefetched(source())) == [0, 1, 2, 3, 4]
    assert set(threads) == {"graph-prefetch"}


def test_an_error_is_raised_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise ValueError("page 3 failed")

    got = []
    with pytest.raises(ValueError, match="page 3 failed"):
        for item in prefetched(source()):
            got.append(item)
    assert got == [1, 2]


def test_the_worker_overlaps_with_the_consumer():
    def slow_source():
        for i in range(4):
            time.sleep(0.1)
            yield i

    started = time.perf_counter()
    for _ in prefetched(slow_source()):
        time.sleep(0.1)
    # 0.8 s if fetch and work took turns; about 0.5 s when they overlap
    assert time.perf_counter() - started < 0.7


def test_leaving_early_stops_the_worker():
    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    for item in prefetched(endless(), depth=1):
        if item == 2:
            break
    time.sleep(0.1)
    count = len(produced)
    time.sleep(0.1)
    assert len(produced) == count <= 6
