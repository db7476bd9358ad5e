"""A worker process told to stop: the flag its tasks read between YouTube calls.

`qcluster` (pipeline/cluster.py) installs `request_stop` as each django-q2 worker's SIGTERM handler.
The handler only sets a flag: a discovery run in flight stops at its next heartbeat (before the next
YouTube call), keeps what it stored and is queued again for the products it did not reach; a task
that has not started yet goes back to the queue. No task is lost and none runs twice.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

_requested = threading.Event()


def request_stop(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
    _requested.set()


def stop_requested() -> bool:
    """True in a worker process that was told to stop (SIGTERM), until it exits."""
    return _requested.is_set()


def install_worker_handler(**_: Any) -> None:
    """django-q2's post_spawn receiver: runs in each worker process as it starts."""
    _requested.clear()
    signal.signal(signal.SIGTERM, request_stop)
