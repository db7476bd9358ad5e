"""A real `qcluster` whose worker dies, or that is stopped the way service managers stop it.

The cluster is a subprocess on the test database (see test_qcluster.py); YouTube is the emulator in this
process, slowed down so that the signal lands while a run is in flight.
"""

from __future__ import annotations

import os
import signal
import time
from functools import partial

import pytest
from django_q.models import OrmQ

from matches.models import Match
from pipeline.models import DiscoveryRun
from pipeline.tests.cycles_support import add_products, make_company, write_demo_corpus
from pipeline.tests.test_qcluster import descendants, qcluster, running, wait_for  # noqa: F401 (fixture)
from pipeline.triggers import trigger_discovery
from shopify_app.models import Product

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def finished_run(run_id: int) -> DiscoveryRun | None:
    return DiscoveryRun.objects.filter(pk=run_id).exclude(status__in=DiscoveryRun.ACTIVE_STATUSES).first()


def test_a_run_whose_worker_was_killed_is_abandoned_by_the_next_trigger_and_a_new_run_finishes_the_work(
    youtube_emulator_for,
    tmp_path,
    qcluster,  # noqa: F811 (fixture)
    settings,
):
    emulator = youtube_emulator_for(write_demo_corpus(tmp_path))
    emulator.configure(latency_ms=1500)  # slow YouTube: the kill lands while the run is still searching
    company = make_company()
    # Six products: with calls in flight three products finish almost together, and the kill must land while
    # the run still has products to go.
    products = add_products(company, 6)
    DiscoveryRun.objects.all().delete()
    OrmQ.objects.all().delete()
    process, output = qcluster({"WORKER_CYCLE_INTERVAL_MINUTES": "1440", "WORKER_PRODUCTS_PER_CYCLE": "6"})

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


def test_a_cluster_stopped_with_sigterm_to_its_whole_group_stops_in_time_and_loses_no_task(
    youtube_emulator_for,
    tmp_path,
    qcluster,  # noqa: F811 (fixture)
):
    # systemd, `timeout` and `pkill -f qcluster` send SIGTERM to every process of the cluster at once.
    emulator = youtube_emulator_for(write_demo_corpus(tmp_path))
    emulator.configure(latency_ms=1500)
    busy = make_company("Busy Co.")
    busy_products = add_products(busy, 6)  # six: the signal lands while the run still has products to go
    waiting = make_company("Waiting Co.")
    waiting_products = add_products(waiting, 2, start=6)
    DiscoveryRun.objects.all().delete()
    OrmQ.objects.all().delete()
    bound = 60  # Q_TIMEOUT_SECONDS: the longest task, and the longest the stop may take
    env = {"WORKER_CYCLE_INTERVAL_MINUTES": "1440", "WORKER_PRODUCTS_PER_CYCLE": "6", "Q_TIMEOUT_SECONDS": str(bound)}
    process, output = qcluster(env)

    # The one worker is inside a run; a manual run of another company waits in the queue behind it.
    in_flight = wait_for(
        lambda: DiscoveryRun.objects.filter(company=busy, status="running", products_done__gte=1).first(),
        seconds=90,
        process=process,
        output=output,
    )
    queued, created = trigger_discovery(company=waiting, trigger=DiscoveryRun.Trigger.MANUAL)
    assert created
    time.sleep(2)  # the cluster's pusher takes the task off the queue (the worker is busy)
    children = descendants(process.pid)

    started = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)
    try:
        code = process.wait(timeout=bound)
    except Exception:
        pytest.fail(f"qcluster did not stop within {bound} s of SIGTERM:\n{output.read_text()[-4000:]}")
    took = time.monotonic() - started
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if running(pid)], "a process of the cluster outlived it"
    assert code == 0, output.read_text()[-3000:]
    assert took < bound

    # The run in flight wrapped up: abandoned with what it found kept, and queued again for the rest.
    in_flight.refresh_from_db()
    assert in_flight.status == "abandoned", in_flight.message
    assert "stopped" in in_flight.message and "partial results kept" in in_flight.message
    resumed = DiscoveryRun.objects.filter(company=busy, status="queued").first()
    assert resumed is not None
    queued.refresh_from_db()
    assert queued.status == "queued"

    # The next start delivers both at once (nothing waits for django-q2's retry window) and finishes the work.
    emulator.configure(latency_ms=0)
    process, output = qcluster(env)
    for run_id in (resumed.pk, queued.pk):
        finished = wait_for(
            partial(finished_run, run_id),
            seconds=90,
            process=process,
            output=output,
        )
        assert finished.status == "succeeded", finished.message
    everything = [p.pk for p in busy_products + waiting_products]
    assert not Product.objects.filter(pk__in=everything, last_discovered_at__isnull=True).exists()

    # An idle cluster stops at once the same way.
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(timeout=bound) == 0
    assert time.monotonic() - started < 15
