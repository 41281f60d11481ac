"""Run an iterator one step ahead in a thread, so network waits overlap with our work."""

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(source: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield *source*'s items, fetched by a worker thread up to *depth* items ahead.

    An exception raised by *source* is re-raised here, in order. Closing this generator
    (or leaving a for-loop early) stops the worker after its current item."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in source:
                if stop.is_set():
                    return
                items.put((item, None))
        except BaseException as error:  # handed to the consumer, never swallowed
            items.put((_DONE, error))
            return
        items.put((_DONE, None))

    worker = threading.Thread(target=work, name="graph-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = items.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a worker waiting on a full queue
            try:
                items.get(timeout=0.05)
            except queue.Empty:
                continue
