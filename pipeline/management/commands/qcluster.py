"""`qcluster`, as django-q2 ships it, preceded by the discovery worker's start.

This command shadows django-q2's own (the discovery app is listed before django_q in
INSTALLED_APPS, and Django takes the first app's command). Starting here rather than in an
AppConfig.ready hook means no database access at import time, no guessing from sys.argv, and one
place that runs exactly once per cluster start, before django-q2 forks its workers.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

from django.conf import settings
from django.db import connections
from django_q.management.commands.qcluster import Command as DjangoQClusterCommand
from django_q.signals import post_spawn

from pipeline import schedules, shutdown
from pipeline.cluster import GracefulCluster


class Command(DjangoQClusterCommand):
    help = (
        "Starts the Django Q2 cluster that runs discovery. First prints the worker banner, upserts the "
        "schedules declared in pipeline/schedules.py by name (maatchaa-discovery-cycle every "
        "WORKER_CYCLE_INTERVAL_MINUTES, maatchaa-retention and maatchaa-webhook-prune daily, "
        "maatchaa-webhook-registration hourly), marks runs whose worker died as "
        "abandoned and sends the schedules that are due. Stops on SIGTERM or Ctrl-C (to the main process "
        "or to every process of the cluster) within Q_CLUSTER's timeout: a discovery run in flight stops at "
        "its next YouTube call and is queued again for the products it did not reach."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        schedules.prepare_worker(write=self.stdout.write)
        self.stdout.flush()
        # django-q2 forks its sentinel and workers next; a forked child must not share our socket.
        connections.close_all()
        # As django-q2's own handle() does, with the cluster above in place of its Cluster.
        settings.SECRET_KEY  # noqa: B018 -- signing needs it: fail here, before forking, not inside a worker
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        # Each worker, as it starts, turns SIGTERM into pipeline.shutdown's flag (its tasks wrap up).
        post_spawn.connect(shutdown.install_worker_handler, dispatch_uid="maatchaa-worker-sigterm")
        cluster = GracefulCluster()
        cluster.start()
        if options.get("run_once"):
            cluster.stop()
        # django-q2 returns as soon as its sentinel runs and leaves the waiting to interpreter exit,
        # where multiprocessing joins its children in an atexit handler. Handlers run last-in
        # first-out, so the embedded PostgreSQL's (maatchaa/lib/pgembedded.py) would run first and
        # stop the database under the running cluster. Waiting here keeps it up until the cluster
        # has stopped (SIGTERM and Ctrl-C still reach the cluster's handler, which stops it).
        for child in multiprocessing.active_children():
            child.join()
