"""A run says what happened: failed when YouTube failed every product, partial when it failed some.

The YouTube emulator injects the faults (5xx, rateLimitExceeded, timeouts, quotaExceeded) over real HTTP;
what is asserted is the run row, the products' place in the rotation and the calls that reached YouTube.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from discovery import quota
from discovery.models import QuotaDay
from pipeline import cycle
from pipeline.models import DiscoveryRun
from pipeline.runs import create_discovery_run, execute_discovery_run
from pipeline.schedules import CYCLE_SCHEDULE_NAME, CYCLE_TASK
from pipeline.tests.cycles_support import worker_log
from pipeline.tests.pipeline_support import (
    calls_to,
    make_shop_company,
    video_row,
    write_corpus,
)
from pipeline.triggers import run_triggered_discovery
from shopify_app.models import Product

pytestmark = pytest.mark.django_db

TITLES = ["Cork Yoga Mat", "Camping Hammock", "Dog Harness"]


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for, settings):
    settings.YOUTUBE_NUM_RETRIES = 0  # each fault reaches the run at once (retries are the client's tests)
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    rows = []
    for n, title in enumerate(TITLES):
        for i in range(3):
            rows.append(video_row(f"v{n}{i:09d}", f"UCniche{n}{i:015d}", f"{title} review and tips {i}"))
    return youtube_emulator_for(write_corpus(tmp_path, rows))


@pytest.fixture
def company():
    return make_shop_company(TITLES)


@pytest.fixture
def next_cycle():
    """The cycle schedule as the worker upserts it, due in 20 minutes."""
    when = timezone.now() + timedelta(minutes=20)
    Schedule.objects.create(name=CYCLE_SCHEDULE_NAME, func=CYCLE_TASK, schedule_type=Schedule.MINUTES, next_run=when)
    return when


def run_now(company) -> DiscoveryRun:
    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    return execute_discovery_run(run_id=run.pk)


def never_discovered(company) -> set[str]:
    return set(Product.objects.filter(company=company, last_discovered_at__isnull=True).values_list("title", flat=True))


def test_a_run_whose_every_call_answers_503_fails_and_its_products_keep_their_turn(company, emulator, next_cycle):
    emulator.configure(error_rate=1.0)

    run = run_now(company)

    assert run.status == DiscoveryRun.Status.FAILED
    assert run.products_done == 0
    assert never_discovered(company) == set(TITLES)
    assert "backendError" in run.message and ("503" in run.message or "500" in run.message)
    assert f"{next_cycle:%H:%M}" in run.message  # when the next try is
    assert "succeeded" not in run.message.lower() and "Discovered" not in run.message
    # A storm stops the run early instead of spending a call on every product.
    assert len(calls_to(emulator, "search")) < 2 * len(TITLES)


def test_a_run_refused_with_rate_limit_exceeded_fails_saying_so(company, emulator, next_cycle):
    emulator.configure(rate_limit_rate=1.0)

    run = run_now(company)

    assert run.status == DiscoveryRun.Status.FAILED
    assert "rateLimitExceeded" in run.message
    assert never_discovered(company) == set(TITLES)


def test_a_run_whose_calls_time_out_fails_saying_so(company, emulator, settings, next_cycle):
    settings.YOUTUBE_TIMEOUT_SECONDS = 1
    emulator.configure(latency_ms=1500)

    run = run_now(company)

    assert run.status == DiscoveryRun.Status.FAILED
    assert "did not answer" in run.message or "timeout" in run.message
    assert never_discovered(company) == set(TITLES)


def test_a_run_that_fails_one_product_is_partial_and_only_that_product_keeps_its_turn(company, emulator, next_cycle):
    # The first product's two searches (its niche, then the same within its category): whatever order calls in
    # flight arrive in.
    emulator.configure(fail_queries=['"cork yoga mat"'])

    run = run_now(company)

    assert run.status == DiscoveryRun.Status.PARTIAL
    assert run.products_done == 2
    (failed,) = never_discovered(company)
    assert failed in TITLES
    assert "2 of 3" in run.message and "backendError" in run.message and f"{next_cycle:%H:%M}" in run.message
    # The next run takes the failed product first.
    emulator.configure(fail_queries=[])
    again, created = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    assert created
    again = execute_discovery_run(run_id=again.pk, product_limit=1)
    assert list(again.products.values_list("title", flat=True)) == [failed]
    assert again.status == DiscoveryRun.Status.SUCCEEDED


def test_a_healthy_run_still_succeeds(company, emulator):
    run = run_now(company)

    assert run.status == DiscoveryRun.Status.SUCCEEDED
    assert run.message == "Discovered 3 of 3 products."
    assert not never_discovered(company)


def test_the_cycle_summary_counts_failed_runs(company, emulator, next_cycle, settings):
    settings.WORKER_PRODUCTS_PER_CYCLE = 3
    # One cycle a day: its share is all that is left today. With 5-minute cycles the share follows the
    # day's straight line, which allows no search in the first minutes after the Pacific reset.
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 1440
    emulator.configure(error_rate=1.0)

    report = cycle.run_discovery_cycle()

    assert report.failed == 1
    assert "1 failed" in report.summary()
    (run,) = DiscoveryRun.objects.filter(company=company)
    assert run.status == DiscoveryRun.Status.FAILED


def test_quota_exceeded_is_told_in_plain_text_and_the_next_run_names_the_breaker(company, emulator, settings):
    emulator.configure(search_calls_per_day=1)  # YouTube's own quota: the second search is refused

    first = run_now(company)

    breaker = QuotaDay.objects.get(day=quota.pacific_day())
    assert breaker.breaker_open_until is not None
    for text in (first.message, *first.errors, breaker.breaker_reason):
        assert "<a" not in text and "href" not in text and "&" not in text, text
    assert "you have exceeded your quota." in first.message
    assert first.status == DiscoveryRun.Status.PARTIAL or first.status == DiscoveryRun.Status.FAILED

    # The next run (a manual trigger within the company's share) is told about the breaker, not a spent budget.
    second, created = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    assert created
    sent = len(emulator.calls)
    with worker_log() as lines:
        second = run_triggered_discovery(run=second)

    assert "budget (0)" not in second.message
    assert "quotaExceeded" in second.message
    assert f"{timezone.localtime(breaker.breaker_open_until, quota.PACIFIC):%Y-%m-%d %H:%M}" in second.message
    assert second.status == DiscoveryRun.Status.FAILED
    assert len(emulator.calls) == sent  # nothing was sent
    assert any(line.startswith("❌ Manual discovery failed after 0 products: Failed:") for line in lines), lines
