"""django-q2's cluster, made to stop the way service managers stop it, within Q_CLUSTER's timeout.

systemd, `timeout` and `pkill -f qcluster` send SIGTERM to every process of the cluster at once.
django-q2's sentinel and workers die of it on the spot (its sentinel resets SIGTERM to the default),
and the main process, whose handler sets the stop Event, then waits forever in Event.set() for the
dead sentinel to acknowledge the wake-up: the cluster hung for as long as nobody sent SIGKILL, and the
task in flight was lost with its worker.

Here only the main process acts on the signal; it stops the sentinel through the Event, as django-q2
does, and the sentinel stops the rest in order:

1. the pusher stops taking tasks off the broker;
2. each worker is told to stop (SIGTERM sets pipeline.shutdown's flag): a discovery run in flight stops
   at its next YouTube call, is marked abandoned with its results kept, and is queued again for the
   products it did not reach (pipeline/tasks.py);
3. tasks taken off the broker that no worker started go back to the broker (the database queue's lock
   is lifted, so the next start does not wait for django-q2's retry window);
4. a worker still busy when the timeout is near is killed: its run is abandoned at the next start (and
   its database-queue task redelivered after the retry window).
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
import uuid
from types import FrameType
from typing import Any

from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.cluster import Cluster, Sentinel, get_mp_context
from django_q.conf import Conf
from django_q.conf import logger as q_logger
from django_q.signing import SignedPackage

logger = logging.getLogger("maatchaa.worker")

_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def stop_deadline(timeout: float) -> float:
    """Seconds the sentinel lets busy workers wrap up: within Q_CLUSTER's timeout, with room for the rest."""
    return max(1.0, timeout - min(10.0, timeout / 3))


class GracefulSentinel(Sentinel):
    """django-q2's sentinel, immune to the group's SIGTERM, stopping its workers without losing a task."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["start"] = False
        super().__init__(*args, **kwargs)  # sets SIGTERM back to its default: undone below
        # The main process stops us through the stop Event; a group signal must not kill us while we
        # sleep on that Event (the main process would then wait forever in Event.set()). We still stop
        # on SIGTERM once orphaned (the main process killed with SIGKILL).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        self.start()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # The pusher and monitor inherit this handler (workers install their own, pipeline.shutdown):
        # in them it does nothing, the sentinel stops them.
        if os.getpid() == self.pid and os.getppid() != self.parent_pid:
            # Set from a thread: Event.set() must not run inside a handler interrupting Event.wait().
            threading.Thread(target=self.stop_event.set, daemon=True).start()

    def stop(self) -> None:
        started = time.monotonic()
        self.event_out.set()
        while self.pusher.is_alive():
            time.sleep(0.1)
        for process in self.pool:
            if process.is_alive() and process.pid:
                os.kill(process.pid, signal.SIGTERM)
        given_back = self._give_back_unstarted_tasks()
        if given_back:
            logger.info("⏸️  %s task(s) not started yet went back to the queue", given_back)
        deadline = started + stop_deadline(self.timeout or Conf.TIMEOUT or 30)
        watchdog = threading.Thread(target=self._kill_stragglers, args=(deadline,), daemon=True)
        watchdog.start()
        super().stop()

    def _give_back_unstarted_tasks(self) -> int:
        count = 0
        while True:
            try:
                task = self.task_queue.get(timeout=0.3)
            except queue.Empty:
                return count
            if task == "STOP":  # pragma: no cover - nothing else puts it before stop() does
                continue
            ack_id = task.pop("ack_id", None)
            if isinstance(self.broker, ORM) and ack_id is not None:
                # Still in the database queue, locked for the retry window: unlock it for the next start.
                self.broker.get_connection().filter(pk=ack_id).update(lock=timezone.now())
            else:
                task.pop("cluster", None)
                self.broker.enqueue(SignedPackage.dumps(task))
            count += 1

    def _kill_stragglers(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if not any(process.is_alive() for process in list(self.pool)):
                return
            time.sleep(0.2)
        for process in list(self.pool):
            if process.is_alive() and process.pid:
                logger.warning("⛔ Worker %s still busy at the stop deadline: killed", process.pid)
                os.kill(process.pid, signal.SIGKILL)


def _run_sentinel(*args: Any) -> None:
    GracefulSentinel(*args)


class GracefulCluster(Cluster):
    """django-q2's cluster with the sentinel above; the first SIGTERM or SIGINT stops it, once.

    A second signal arriving while the first is being handled (Ctrl-C reaches every process in the
    terminal's group, and a supervisor may send SIGTERM too) is ignored: re-entering the handler
    deadlocked on the stop Event's lock.
    """

    stopping = False

    def start(self) -> int:
        # As django-q2's Cluster.start, with our sentinel, forked with the stop signals blocked so that
        # none reaches it before it has installed its own handlers.
        if self.stopping:  # told to stop before it started
            return self.pid
        self.stop_event = get_mp_context().Event()
        self.start_event = get_mp_context().Event()
        self.sentinel = get_mp_context().Process(
            target=_run_sentinel,
            name=f"Process-{uuid.uuid4().hex}",
            args=(self.stop_event, self.start_event, self.cluster_id, self.broker, self.timeout),
        )
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            self.sentinel.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        q_logger.info("Q Cluster %s starting.", self.name)
        while self.start_event is not None and not self.start_event.is_set():
            if not self.sentinel.is_alive():
                if self.sentinel.exitcode == 0:
                    break
                raise RuntimeError(
                    f"Q Cluster {self.name} failed to start: sentinel exited with code {self.sentinel.exitcode}"
                )
            time.sleep(0.1)
        return self.pid

    def stop(self) -> bool:
        sentinel = self.sentinel
        if sentinel is None or not sentinel.is_alive():
            self.start_event = None
            return False
        q_logger.info("Q Cluster %s stopping.", self.name)
        # Set from a thread and waited for with a bound: should the sentinel have died while waiting
        # on the Event, set() would never return, and the cluster must still stop.
        threading.Thread(target=self.stop_event.set, daemon=True).start()
        sentinel.join(float(Conf.TIMEOUT or 30))
        if sentinel.is_alive():
            q_logger.warning("The sentinel did not stop within Q_CLUSTER's timeout: killed")
            sentinel.kill()
            sentinel.join(5)
        q_logger.info("Q Cluster %s has stopped.", self.name)
        self.start_event = None
        self.stop_event = None
        return True

    def sig_handler(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            return
        self.stopping = True
        self.stop()
