"""A real `qcluster` whose worker dies, or that is stopped the way service managers stop it.

The cluster is a subprocess on the test database (see test_qcluster.py); YouTube is the emulator in this
process, slowed down so that the signal lands while a run is in flight.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from django_q.models import OrmQ

from matches.models import Match
from pipeline.models import DiscoveryRun
from pipeline.tests.cycles_support import add_products, make_company, write_demo_corpus
from pipeline.tests.test_qcluster import descendants, qcluster, running, wait_for  # noqa: F401 (fixture)
from pipeline.triggers import trigger_discovery
from shopify_app.models import Product

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_run_whose_worker_was_killed_is_abandoned_by_the_next_trigger_and_a_new_run_finishes_the_work(
    youtube_emulator_for,
    tmp_path,
    qcluster,  # noqa: F811 (fixture)
    settings,
):
    emulator = youtube_emulator_for(write_demo_corpus(tmp_path))
    emulator.configure(latency_ms=1500)  # slow YouTube: the kill lands while the run is still searching
    company = make_company()
    products = add_products(company, 3)
    DiscoveryRun.objects.all().delete()
    OrmQ.objects.all().delete()
    process, output = qcluster({"WORKER_CYCLE_INTERVAL_MINUTES": "1440", "WORKER_PRODUCTS_PER_CYCLE": "3"})

    def in_flight() -> DiscoveryRun | None:
        finished = DiscoveryRun.objects.exclude(status__in=DiscoveryRun.ACTIVE_STATUSES).first()
        if finished is not None:
            pytest.fail(f"the run finished before the kill: {finished.status} {finished.message}")
        return DiscoveryRun.objects.filter(status="running", products_done__gte=1).first()

    first = wait_for(in_flight, seconds=90, process=process, output=output)
    assert first.worker_pid in descendants(process.pid)
    os.kill(first.worker_pid, signal.SIGKILL)  # the worker alone: the cluster lives on and replaces it
    wait_for(lambda: "reincarnated worker" in output.read_text(), seconds=30, process=process, output=output)
    first.refresh_from_db()
    assert first.status == "running"
    reached = set(Product.objects.filter(company=company, last_discovered_at__isnull=False))
    kept = set(Match.objects.filter(product__in=reached).values_list("pk", flat=True))

    # The dead run falls silent; past the bound the next trigger, here in another process, abandons it.
    settings.DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS = 4
    emulator.configure(latency_ms=0)
    time.sleep(5)
    second, created = trigger_discovery(company=company, trigger=DiscoveryRun.Trigger.MANUAL)

    assert created, f"the trigger answered 'already {second.status}' for a run whose worker is dead"
    first.refresh_from_db()
    assert first.status == "abandoned" and "partial results kept" in first.message
    done = wait_for(
        lambda: DiscoveryRun.objects.filter(pk=second.pk, status__in=["succeeded", "partial", "failed"]).first(),
        seconds=90,
        process=process,
        output=output,
    )
    assert done.status == "succeeded", done.message
    not_reached = {p.pk for p in products} - {p.pk for p in reached}
    assert not_reached <= set(done.products.values_list("pk", flat=True))
    assert not Product.objects.filter(company=company, last_discovered_at__isnull=True).exists()
    assert kept <= set(Match.objects.values_list("pk", flat=True))

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
