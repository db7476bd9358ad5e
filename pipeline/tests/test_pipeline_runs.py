"""The DiscoveryRun lifecycle: one active run per company, claimed once, never left running, resumable."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from matches.models import Match
from pipeline.discover import discover_products
from pipeline.models import DiscoveryRun
from pipeline.runs import abandon_stale_runs, create_discovery_run, execute_discovery_run
from pipeline.tests.pipeline_support import calls_to, make_company, make_product, video_row, write_corpus
from shopify_app.models import Product

pytestmark = pytest.mark.django_db

TITLES = ["Cork Yoga Mat", "Camping Hammock", "Dog Harness"]


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for):
    rows = []
    for n, title in enumerate(TITLES):
        for i in range(3):
            rows.append(video_row(f"v{n}{i:09d}", f"UCniche{n}{i:015d}", f"{title} review and tips {i}"))
    return youtube_emulator_for(write_corpus(tmp_path, rows))


@pytest.fixture
def company():
    company = make_company()
    for title in TITLES:
        make_product(company, title)
    return company


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_second_trigger_gets_the_active_run_instead_of_a_new_one(company):
    first, created = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.SCHEDULE)
    second, created_again = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)

    assert created and not created_again
    assert second.pk == first.pk
    assert DiscoveryRun.objects.filter(company=company).count() == 1


def test_a_finished_run_lets_the_next_one_be_created(company, emulator):
    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    execute_discovery_run(run_id=run.pk)

    again, created = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)

    assert created and again.pk != run.pk


def test_a_run_is_executed_once_and_its_counters_are_recorded(company, emulator):
    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)

    done = execute_discovery_run(run_id=run.pk)
    searches = len(calls_to(emulator, "search"))
    again = execute_discovery_run(run_id=run.pk)

    assert done.status == DiscoveryRun.Status.SUCCEEDED and done.finished_at is not None
    assert done.products_planned == done.products_done == len(TITLES)
    assert done.search_calls == searches > 0
    assert done.units > 0 and done.videos_found > 0 and done.matches_made > 0
    assert set(done.products.values_list("title", flat=True)) == set(TITLES)
    assert again.pk == done.pk and len(calls_to(emulator, "search")) == searches  # nothing ran twice


def test_products_are_taken_by_rotation(company, emulator):
    old = make_product(company, "Water Bottle")
    Product.objects.filter(company=company).update(last_discovered_at=timezone.now() - timedelta(days=1))
    Product.objects.filter(pk=old.pk).update(last_discovered_at=timezone.now() - timedelta(days=9))
    never = make_product(company, "Concert Ukulele")
    make_product(company, "Draft Thing", status=Product.Status.DRAFT)

    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.SCHEDULE)
    run = execute_discovery_run(run_id=run.pk, product_limit=2)

    assert set(run.products.values_list("pk", flat=True)) == {never.pk, old.pk}


def test_an_unexpected_error_fails_the_run_instead_of_leaving_it_running(company, settings):
    settings.YOUTUBE_API_KEY = ""
    settings.YOUTUBE_API_URL = ""  # the client refuses to start: a configuration error
    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)

    run = execute_discovery_run(run_id=run.pk)

    assert run.status == DiscoveryRun.Status.FAILED
    assert "YOUTUBE_API_KEY" in run.message and run.errors
    assert run.finished_at is not None


def test_an_interrupted_run_keeps_its_partial_results_and_the_next_run_resumes(company, emulator):
    # A worker took the run, discovered one product, then died (its pid is gone, its heartbeat old).
    run = DiscoveryRun.objects.create(
        company=company,
        trigger=DiscoveryRun.Trigger.SCHEDULE,
        status=DiscoveryRun.Status.RUNNING,
        worker_pid=dead_pid(),
        started_at=timezone.now() - timedelta(minutes=5),
    )
    products = list(Product.objects.filter(company=company).order_by("pk"))
    discover_products(run=run, products=products[:1])
    DiscoveryRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    kept = set(Match.objects.values_list("pk", flat=True))
    assert kept

    assert abandon_stale_runs() == 1

    run.refresh_from_db()
    assert run.status == DiscoveryRun.Status.ABANDONED and "partial results kept" in run.message
    assert set(Match.objects.values_list("pk", flat=True)) == kept
    nxt, created = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.SCHEDULE)
    assert created
    nxt = execute_discovery_run(run_id=nxt.pk, product_limit=2)
    assert set(nxt.products.values_list("pk", flat=True)) == {p.pk for p in products[1:]}
    assert Product.objects.filter(company=company, last_discovered_at__isnull=True).count() == 0


def test_a_live_run_is_not_abandoned(company):
    DiscoveryRun.objects.create(
        company=company,
        trigger=DiscoveryRun.Trigger.SCHEDULE,
        status=DiscoveryRun.Status.RUNNING,
        worker_pid=dead_pid(),
        heartbeat_at=timezone.now(),
    )

    assert abandon_stale_runs() == 0
