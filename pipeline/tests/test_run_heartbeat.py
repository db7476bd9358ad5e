"""A running run's heartbeat: beaten before every YouTube call; one silent past the setting is abandoned
by the next trigger (on any worker), which then starts a new run."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from maatchaa.tests.test_foundation import _settings_with
from matches.models import Match
from pipeline.discover import discover_products
from pipeline.models import DiscoveryRun
from pipeline.runs import create_discovery_run, execute_discovery_run
from pipeline.tests.pipeline_support import make_company, make_product, video_row, write_corpus
from pipeline.triggers import trigger_discovery
from shopify_app.models import Product

TITLES = ["Cork Yoga Mat", "Camping Hammock"]


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for):
    rows = [
        video_row(f"v{n}{i:09d}", f"UCniche{n}{i:015d}", f"{title} review and tips {i}")
        for n, title in enumerate(TITLES)
        for i in range(3)
    ]
    return youtube_emulator_for(write_corpus(tmp_path, rows))


@pytest.fixture
def company(db):
    company = make_company()
    for title in TITLES:
        make_product(company, title)
    return company


def running_run(company, *, silent_for: timedelta, products_done: int = 0) -> DiscoveryRun:
    # A worker on another machine: its pid means nothing here (our parent is alive, so not "gone").
    return DiscoveryRun.objects.create(
        company=company,
        trigger=DiscoveryRun.Trigger.SCHEDULE,
        status=DiscoveryRun.Status.RUNNING,
        worker_pid=os.getppid(),
        started_at=timezone.now() - silent_for - timedelta(minutes=1),
        heartbeat_at=timezone.now() - silent_for,
        products_done=products_done,
    )


@pytest.mark.django_db
def test_a_trigger_abandons_a_run_silent_longer_than_the_setting_and_starts_a_new_one(company, settings):
    settings.DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS = 120
    dead = running_run(company, silent_for=timedelta(seconds=150), products_done=1)

    run, created = trigger_discovery(company=company, trigger=DiscoveryRun.Trigger.MANUAL)

    assert created and run.pk != dead.pk and run.status == DiscoveryRun.Status.QUEUED
    dead.refresh_from_db()
    assert dead.status == DiscoveryRun.Status.ABANDONED and dead.finished_at is not None
    assert "silent for 150 s" in dead.message and "partial results kept (1 products done)" in dead.message


@pytest.mark.django_db
def test_a_run_beating_within_the_setting_stays_in_progress(company, settings):
    settings.DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS = 120
    live = running_run(company, silent_for=timedelta(seconds=60))

    run, created = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)

    assert not created and run.pk == live.pk
    live.refresh_from_db()
    assert live.status == DiscoveryRun.Status.RUNNING


@pytest.mark.django_db
def test_a_run_abandoned_by_another_process_stops_instead_of_running_beside_its_successor(company, emulator):
    run = DiscoveryRun.objects.create(
        company=company, trigger=DiscoveryRun.Trigger.MANUAL, status=DiscoveryRun.Status.ABANDONED
    )

    tally = discover_products(run=run, products=list(Product.objects.filter(company=company)))

    assert "abandoned by another process" in tally.stopped_reason
    assert not emulator.calls and tally.products_done == 0


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_is_beaten_before_every_youtube_call(company, emulator, settings):
    # Slow YouTube: two seconds a call. The longest silence of a running run stays about one call long
    # (it used to be a whole search and its details, three calls).
    latency = 2.0
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    emulator.configure(latency_ms=int(latency * 1000))
    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    beats: list[tuple[float, object]] = []
    done = threading.Event()

    def watch() -> None:
        try:
            while not done.is_set():
                row = DiscoveryRun.objects.filter(pk=run.pk).values_list("status", "heartbeat_at").first()
                if row and row[0] == DiscoveryRun.Status.RUNNING and (not beats or beats[-1][1] != row[1]):
                    beats.append((time.monotonic(), row[1]))
                time.sleep(0.05)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run = execute_discovery_run(run_id=run.pk, product_limit=1)
    finally:
        done.set()
        watcher.join()

    assert run.status == DiscoveryRun.Status.SUCCEEDED and Match.objects.exists()
    calls = len(emulator.calls)
    assert calls >= 4  # two searches, their video and channel details
    gaps = [later[0] - earlier[0] for earlier, later in zip(beats, beats[1:], strict=False)]
    assert len(beats) >= calls
    assert max(gaps) < latency * 1.75, gaps


@pytest.mark.parametrize(
    ("env", "ok"),
    [
        ({"DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS": "100"}, False),  # under the 108 s one call may take
        ({"DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS": "109"}, True),
        (
            {
                "DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS": "30",
                "YOUTUBE_TIMEOUT_SECONDS": "5",
                "YOUTUBE_NUM_RETRIES": "0",
            },
            True,
        ),
        ({"DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS": "soon"}, False),
    ],
)
def test_a_heartbeat_timeout_shorter_than_one_youtube_call_stops_startup(env, ok) -> None:
    result = _settings_with(env)

    assert (result.returncode == 0) == ok, result.stderr[-2000:]
    if not ok:
        assert "ImproperlyConfigured: DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS" in result.stderr
