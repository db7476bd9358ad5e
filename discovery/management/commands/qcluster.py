"""`qcluster`, as django-q2 ships it, preceded by the discovery worker's start.

This command shadows django-q2's own (the discovery app is listed before django_q in
INSTALLED_APPS, and Django takes the first app's command). Starting here rather than in an
AppConfig.ready hook means no database access at import time, no guessing from sys.argv, and one
place that runs exactly once per cluster start, before django-q2 forks its workers.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.db import connections
from django_q.management.commands.qcluster import Command as DjangoQClusterCommand

from discovery import scheduling


class Command(DjangoQClusterCommand):
    help = (
        "Starts the Django Q2 cluster that runs discovery. First prints the worker banner, upserts the "
        "schedules declared in discovery/scheduling.py by name (maatchaa-discovery-cycle every "
        "WORKER_CYCLE_INTERVAL_MINUTES, maatchaa-retention daily), marks runs whose worker died as "
        "abandoned and sends the schedules that are due. Stops cleanly on SIGTERM or Ctrl-C."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        scheduling.prepare_worker(write=self.stdout.write)
        self.stdout.flush()
        # django-q2 forks its sentinel and workers next; a forked child must not share our socket.
        connections.close_all()
        super().handle(*args, **options)
        _stop_once_on_signals()
        # django-q2 returns as soon as its sentinel runs and leaves the waiting to interpreter exit,
        # where multiprocessing joins its children in an atexit handler. Handlers run last-in
        # first-out, so the embedded PostgreSQL's (maatchaa/lib/pgembedded.py) would run first and
        # stop the database under the running cluster. Waiting here keeps it up until the cluster
        # has stopped (SIGTERM and Ctrl-C still reach django-q2's handler, which stops it).
        for child in multiprocessing.active_children():
            child.join()


def _stop_once_on_signals() -> None:
    """Let only the first SIGINT/SIGTERM reach django-q2's handler.

    Its handler sets a multiprocessing Event; a second signal arriving while the first is inside
    Event.set() (Ctrl-C reaches every process in the terminal's group, and a supervisor then sends
    SIGTERM too) re-enters it and deadlocks on the Event's lock, leaving the cluster hung.
    """
    stopping = False

    def wrap(original: Callable[[int, FrameType | None], Any]) -> Callable[[int, FrameType | None], None]:
        def handler(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            if stopping:
                return
            stopping = True
            original(signum, frame)

        return handler

    for signum in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(signum)
        if callable(current):
            signal.signal(signum, wrap(current))
