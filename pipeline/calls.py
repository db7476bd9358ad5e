"""A discovery run's YouTube calls in flight at once (YOUTUBE_CALLS_IN_FLIGHT), within the quota ledger's guarantees.

The main thread decides every call and reserves its request in the quota ledger (discovery/quota.py, on
the main thread's database connection) before handing it to a worker; a worker only sends the HTTP
request through a client of its own (httplib2 is not thread-safe) and parses the answer; the main
thread settles the call (the run's counters) and stores what it found. A worker never touches the
database: what its client would record there (a retry the library sends after a 5xx or a rate limit,
the breaker a quotaExceeded answer opens) is relayed to the main thread, which records it while it
waits for the calls and answers before the worker may go on. So, as with one call at a time, every
request is recorded before it is sent, none is sent past the day's buckets or while the breaker is
open, and the ledger's totals are the requests YouTube received. The pool never holds more calls than
it has workers: a call is reserved only when a worker is free to send it at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from discovery.youtube import CallLedger, YouTubeClient

T = TypeVar("T")


class _Relay:
    """Work a worker asks the main thread to do (a ledger entry), and its answer."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self.work = work
        self.answer: Future[Any] = Future()

    def run(self) -> None:
        try:
            self.answer.set_result(self.work())
        except BaseException as exc:  # noqa: BLE001 - handed to the worker, which raises it
            self.answer.set_exception(exc)


class _RelayLedger:
    """A worker's ledger: its call's first request was reserved by the main thread; a retry, or the breaker
    a quotaExceeded answer opens, is recorded by the main thread before the worker goes on."""

    def __init__(self, pool: CallPool) -> None:
        self.pool = pool
        self.prepaid = ""  # the method whose first request the main thread reserved

    def reserve(self, method: str) -> None:
        if self.prepaid == method:
            self.prepaid = ""
            return
        self.pool.relay(lambda: self.pool.ledger.reserve(method))

    def open_breaker(self, reason: str) -> datetime:
        until: datetime = self.pool.relay(lambda: self.pool.ledger.open_breaker(reason))
        return until


class CallPool:
    """`size` worker threads sending the calls the main thread reserves; see the module docstring.

    Every method but `relay` is called from the main thread only.
    """

    def __init__(self, *, client: YouTubeClient, size: int) -> None:
        self.client = client
        self.ledger: CallLedger = client.ledger
        self.size = size
        self.width = size  # calls the pool may have in flight now (at most `size`): the caller narrows it
        self.most_in_flight = 0  # the most calls this pool had in flight at once
        self._pending: set[Future[Any]] = set()
        # What wakes the main thread: a relay to run, or None when a call or a watched future finished.
        self._inbox: queue.SimpleQueue[_Relay | None] = queue.SimpleQueue()
        self._local = threading.local()
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="discovery-call")

    # --- the main thread --------------------------------------------------------------------------
    def in_flight(self) -> int:
        self._pending = {f for f in self._pending if not f.done()}
        return len(self._pending)

    def has_slot(self) -> bool:
        return self.in_flight() < min(self.width, self.size)

    def submit(self, method: str, send: Callable[[YouTubeClient], T]) -> Future[T]:
        """Reserve the call's request in the ledger (QuotaExhausted or BreakerOpen: nothing was reserved and
        nothing is sent) and hand `send` to a free worker, which calls it with its own client."""
        if not self.has_slot():
            raise RuntimeError("CallPool.submit without a free worker: wait for has_slot() first")
        self.serve_relays()  # a quotaExceeded answer already in opens the breaker before this reservation
        self.ledger.reserve(method)
        future = self._executor.submit(self._send, method, send)
        self._pending.add(future)
        self.most_in_flight = max(self.most_in_flight, len(self._pending))
        self.watch(future)
        return future

    def watch(self, future: Future[Any]) -> None:
        """Wake `wait` when `future` finishes (the embedding thread's futures too)."""
        future.add_done_callback(lambda _: self._inbox.put(None))

    def wait(self, done: Callable[[], bool]) -> None:
        """Run the workers' relayed ledger entries until `done()` (re-checked after each wake); those already
        relayed are run first even when `done()` is already true, so that they never wait behind new calls."""
        self.serve_relays()
        while not done():
            item = self._inbox.get()
            if item is not None:
                item.run()

    def serve_relays(self) -> None:
        """Run the relayed ledger entries waiting now, without blocking."""
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item.run()

    def close(self) -> None:
        """Let the calls in flight finish (serving their relays), then stop the workers."""
        try:
            self.wait(lambda: self.in_flight() == 0)
        finally:
            self._executor.shutdown(wait=True)

    # --- the workers ------------------------------------------------------------------------------
    def relay(self, work: Callable[[], T]) -> T:
        """From a worker: have the main thread do `work` (a ledger entry) and return its answer or raise."""
        item = _Relay(work)
        self._inbox.put(item)
        answer: T = item.answer.result()
        return answer

    def _send(self, method: str, send: Callable[[YouTubeClient], T]) -> T:
        ledger: _RelayLedger | None = getattr(self._local, "ledger", None)
        if ledger is None:
            ledger = _RelayLedger(self)
            self._local.ledger = ledger
            self._local.client = self.client.sibling(ledger=ledger)
        ledger.prepaid = method
        try:
            return send(self._local.client)
        finally:
            ledger.prepaid = ""
