"""The scheduled cycle in-process: quota plan, fair shares, rotation, dead runs, the breaker, the guide's lines.

YouTube is the project's emulator over a small corpus written for the demo catalog; django-q2 runs
tasks inline (Conf.SYNC) where a test needs a triggered run executed.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import time_machine
from django.db.models import Sum
from django_q.conf import Conf
from django_q.models import Schedule

from discovery import quota
from discovery.models import CompanyQuotaDay
from matches.models import Match
from pipeline import budget, cycle, schedules, tasks
from pipeline.budget import plan_cycle_budget, split_fair_shares
from pipeline.cycle import run_discovery_cycle
from pipeline.models import DiscoveryRun
from pipeline.tests.cycles_support import add_products, make_company, worker_log, write_demo_corpus
from pipeline.triggers import trigger_discovery
from shopify_app.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def youtube(youtube_emulator_for, tmp_path):
    return youtube_emulator_for(write_demo_corpus(tmp_path))


@pytest.fixture
def whole_day_cycles(settings):
    """One cycle per day: each cycle may spend everything left today (keeps budgets out of the way)."""
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 1440
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    return settings


@pytest.fixture
def sync_tasks(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)


def search_calls(emulator) -> list:
    return [call for call in emulator.calls if call.resource == "search"]


# --- the guide's lines ----------------------------------------------------------------------------
def test_a_cycle_without_products_says_so_like_the_guide():
    lines: list[str] = []
    first = run_discovery_cycle(log=lines.append)
    second = run_discovery_cycle(log=lines.append)
    assert f"🔄 CYCLE #{first.number} - " in "\n".join(lines)
    assert second.number == first.number + 1
    assert "⚠️  No products found in database" in lines
    assert "💡 Waiting for companies to connect Shopify stores..." in lines
    assert not DiscoveryRun.objects.exists()


def test_the_worker_start_prints_the_guides_banner_upserts_the_schedules_and_starts_a_cycle(settings, sync_tasks):
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 5
    lines: list[str] = []
    with worker_log() as logged:
        schedules.prepare_worker(write=lines.append)
    text = "\n".join(lines)
    for expected in (
        "🚀 CREATOR DISCOVERY WORKER STARTED",
        "⚙️  Configuration:",
        "   • Cycle Interval: 5 minutes",
        "   • Products per Cycle: 10",
        "   • Keywords per Product: 2",
        "   • Videos per Keyword: 5",
    ):
        assert expected in text
    assert set(Schedule.objects.values_list("name", "func")) == {
        ("maatchaa-discovery-cycle", "pipeline.tasks.discovery_cycle"),
        ("maatchaa-retention", "pipeline.tasks.retention"),
        ("maatchaa-webhook-prune", "shopify_app.tasks.prune_webhook_deliveries"),
        ("maatchaa-webhook-registration", "shopify_app.tasks.retry_webhook_registrations"),
        ("maatchaa-weekly-digest", "creators.tasks.weekly_digest"),
    }
    # Like the guide's worker, the first cycle runs at start (inline here: django-q2's sync mode).
    assert "⚠️  No products found in database" in logged
    cycle = Schedule.objects.get(name="maatchaa-discovery-cycle")
    assert cycle.next_run > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=4)


def test_immediate_discovery_logs_the_guides_lines_and_makes_matches(
    youtube, whole_day_cycles, sync_tasks, django_capture_on_commit_callbacks
):
    company = make_company()
    add_products(company, 3)  # outside a commit capture: the sync's own trigger never runs here
    with worker_log() as lines, django_capture_on_commit_callbacks(execute=True):
        run, created = trigger_discovery(company=company, trigger=DiscoveryRun.Trigger.IMMEDIATE)
    run.refresh_from_db()
    assert created and run.status == DiscoveryRun.Status.SUCCEEDED
    assert f"🚀 IMMEDIATE DISCOVERY TRIGGERED for company: {company.pk}" in lines
    assert "📊 Found 3 products for immediate discovery" in lines
    assert "✅ Immediate discovery complete for 3 products" in lines
    assert Match.objects.filter(product__company=company).exists()
    assert search_calls(youtube)


def test_the_run_task_leaves_a_gone_or_finished_run_alone():
    company = make_company()
    done = DiscoveryRun.objects.create(company=company, trigger="manual", status="succeeded")
    assert tasks.run_discovery(done.pk) == f"Run {done.pk} is already succeeded."
    assert tasks.run_discovery(987654) == "Run 987654 no longer exists."
    done.refresh_from_db()
    assert done.status == "succeeded"


# --- schedules -------------------------------------------------------------------------------------
def test_schedules_are_upserted_by_name_and_a_new_interval_applies_on_restart(settings):
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 360
    schedules.upsert_schedules()
    cycle = Schedule.objects.get(name="maatchaa-discovery-cycle")
    assert (cycle.schedule_type, cycle.minutes, cycle.repeats) == (Schedule.MINUTES, 360, -1)
    Schedule.objects.filter(pk=cycle.pk).update(next_run=cycle.next_run + dt.timedelta(hours=5))
    Schedule.objects.create(name="maatchaa-discovery-cycle", func="old.module.func", schedule_type=Schedule.HOURLY)

    settings.WORKER_CYCLE_INTERVAL_MINUTES = 5
    schedules.upsert_schedules()

    (cycle,) = Schedule.objects.filter(name="maatchaa-discovery-cycle")
    assert (cycle.minutes, cycle.func) == (5, "pipeline.tasks.discovery_cycle")
    assert cycle.next_run <= dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5, seconds=5)
    assert Schedule.objects.filter(name="maatchaa-retention").count() == 1


# --- the quota plan --------------------------------------------------------------------------------
def test_five_minute_cycles_spread_the_days_searches_over_the_whole_day(settings):
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 5
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 100
    midnight = quota.next_pacific_midnight(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC))
    spent_by_hour: dict[int, int] = {}
    moment = midnight + dt.timedelta(seconds=30)
    while moment < midnight + dt.timedelta(days=1):
        budget = plan_cycle_budget(now=moment)
        assert budget.search_calls <= 1  # never more than its share: 100 calls over 288 cycles
        if budget.search_calls:
            assert quota.record_call(search_calls=budget.search_calls, now=moment) is None
        hour = int((moment - midnight).total_seconds() // 3600)
        spent_by_hour[hour] = spent_by_hour.get(hour, 0) + budget.search_calls
        moment += dt.timedelta(minutes=5)
    assert 95 <= sum(spent_by_hour.values()) <= 100
    # Evenly: about 4 an hour all day, not the whole budget by breakfast.
    assert all(3 <= spent <= 5 for spent in spent_by_hour.values())


def test_a_cycle_spends_at_most_its_share_of_what_is_left(settings):
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 360
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 100
    settings.YOUTUBE_DAILY_UNITS = 10_000
    midnight = quota.next_pacific_midnight(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC))
    first = plan_cycle_budget(now=midnight + dt.timedelta(minutes=1))
    assert (first.search_calls, first.units, first.cycles_left) == (25, 2500, 4)
    # Half the day left with 80 calls unspent: 2 cycles left, 40 each at most.
    quota.record_call(search_calls=20, now=midnight + dt.timedelta(hours=1))
    noon = plan_cycle_budget(now=midnight + dt.timedelta(hours=12, minutes=1))
    assert (noon.search_calls_left_today, noon.cycles_left, noon.search_calls) == (80, 2, 40)
    last = plan_cycle_budget(now=midnight + dt.timedelta(hours=23))
    assert last.search_calls == 80


# --- fair shares ---------------------------------------------------------------------------------
def test_fair_shares_split_equally_whatever_the_catalog_size():
    # Demand is per run (products per cycle x keywords), so a catalog of 1,000 asks no more than one of 10.
    shares = split_fair_shares(spent=[("big", 0), ("small", 0)], budget=10, demand=20)
    assert shares == {"big": 5, "small": 5}


def test_the_company_that_spent_least_today_goes_first():
    shares = split_fair_shares(spent=[("a", 30), ("b", 10), ("c", 12)], budget=5, demand=20)
    assert shares == {"a": 0, "b": 4, "c": 1}


def test_a_share_a_company_cannot_use_flows_to_the_others():
    shares = split_fair_shares(spent=[("a", 0), ("b", 0)], budget=10, demand=20, headroom={"a": 2, "b": 50})
    assert shares == {"a": 2, "b": 8}
    beyond = split_fair_shares(spent=[("a", 0), ("b", 0)], budget=10, demand=3, headroom={"a": 0, "b": 50})
    assert beyond == {"a": 3, "b": 3}  # after every share is used, what is left still goes out


def test_a_big_company_cannot_starve_a_small_one(youtube, whole_day_cycles):
    whole_day_cycles.YOUTUBE_DAILY_SEARCH_CALLS = 8
    big, small = make_company("Big Catalog"), make_company("Small Catalog")
    add_products(big, 30)
    add_products(small, 2, start=5)
    DiscoveryRun.objects.all().delete()

    run_discovery_cycle()

    spent = dict(CompanyQuotaDay.objects.values_list("company__name", "search_calls"))
    assert spent == {"Big Catalog": 4, "Small Catalog": 4}
    assert Product.objects.filter(company=small, last_discovered_at__isnull=False).count() == 2
    assert len(search_calls(youtube)) == 8


def test_a_manual_trigger_draws_on_its_own_companys_share(
    youtube, whole_day_cycles, sync_tasks, django_capture_on_commit_callbacks
):
    whole_day_cycles.YOUTUBE_DAILY_SEARCH_CALLS = 8
    eager, quiet = make_company("Eager"), make_company("Quiet")
    add_products(eager, 6)
    add_products(quiet, 1, start=2)
    DiscoveryRun.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        trigger_discovery(company=eager, trigger=DiscoveryRun.Trigger.MANUAL)

    assert CompanyQuotaDay.objects.get(company=eager).search_calls == 4  # half of 8, not all of it
    assert budget.company_share_left(company=eager)[0] == 0
    assert budget.company_share_left(company=quiet)[0] == 4
    report = run_discovery_cycle()
    # Quiet uses the 2 it needs; the 2 it leaves flow back to Eager in the same cycle.
    spent = dict(CompanyQuotaDay.objects.values_list("company__name", "search_calls"))
    assert spent == {"Eager": 6, "Quiet": 2}
    assert report.search_calls == 4


# --- rotation ------------------------------------------------------------------------------------
def test_rotation_reaches_every_product_within_the_expected_number_of_cycles(youtube, whole_day_cycles):
    whole_day_cycles.WORKER_PRODUCTS_PER_CYCLE = 2
    company = make_company()
    products = add_products(company, 5)
    DiscoveryRun.objects.all().delete()

    def discovered() -> list[Product]:
        return list(Product.objects.filter(company=company, last_discovered_at__isnull=False))

    run_discovery_cycle()
    assert len(discovered()) == 2
    run_discovery_cycle()
    assert len(discovered()) == 4
    first_round = {p.pk: p.last_discovered_at for p in discovered()}
    run_discovery_cycle()  # ceil(5 / 2) = 3 cycles reach every product

    assert len(discovered()) == 5 == len(products)
    third = DiscoveryRun.objects.order_by("-created_at").first()
    assert third is not None
    taken = set(third.products.values_list("pk", flat=True))
    never_before = {p.pk for p in products} - set(first_round)
    # The never-discovered product first, then the one discovered longest ago.
    oldest = sorted(first_round, key=lambda pk: (first_round[pk], pk))[:1]
    assert len(never_before) == 1
    assert taken == never_before | set(oldest)
    assert DiscoveryRun.objects.filter(trigger="schedule", status="succeeded").count() == 3


# --- a run whose worker died -------------------------------------------------------------------------
def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_killed_mid_way_keeps_its_results_and_the_next_run_resumes(youtube, whole_day_cycles):
    whole_day_cycles.WORKER_PRODUCTS_PER_CYCLE = 2
    company = make_company()
    first, second, third = add_products(company, 3)
    DiscoveryRun.objects.all().delete()
    # The worker got through the first product, then died (SIGKILL, OOM) before finishing the run.
    from pipeline.runs import create_discovery_run, execute_discovery_run

    killed, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.SCHEDULE)
    execute_discovery_run(run_id=killed.pk, product_ids=[first.pk])
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    DiscoveryRun.objects.filter(pk=killed.pk).update(
        status=DiscoveryRun.Status.RUNNING, finished_at=None, worker_pid=dead_pid(), heartbeat_at=long_ago
    )
    kept = set(Match.objects.filter(product=first).values_list("pk", flat=True))
    assert kept

    report = run_discovery_cycle()

    killed.refresh_from_db()
    assert killed.status == DiscoveryRun.Status.ABANDONED
    assert killed.products_done == 1
    assert kept <= set(Match.objects.filter(product=first).values_list("pk", flat=True))
    (resumed,) = DiscoveryRun.objects.filter(pk__in=report.run_ids)
    assert set(resumed.products.values_list("pk", flat=True)) == {second.pk, third.pk}
    assert resumed.status == DiscoveryRun.Status.SUCCEEDED


# --- the breaker -----------------------------------------------------------------------------------
def test_while_the_breaker_is_open_no_call_reaches_youtube_and_cycles_resume_after_the_reset(
    youtube, whole_day_cycles, sync_tasks, django_capture_on_commit_callbacks
):
    company = make_company()
    add_products(company, 2)
    DiscoveryRun.objects.all().delete()
    until = quota.open_breaker(reason="quotaExceeded")

    lines: list[str] = []
    report = run_discovery_cycle(log=lines.append)
    with django_capture_on_commit_callbacks(execute=True):
        trigger_discovery(company=company, trigger=DiscoveryRun.Trigger.MANUAL)

    assert youtube.calls == []
    assert any("no YouTube calls until the Pacific reset" in line for line in lines)
    assert report.run_ids == []
    assert not Product.objects.filter(last_discovered_at__isnull=False).exists()

    with time_machine.travel(until + dt.timedelta(minutes=1), tick=True):
        after = run_discovery_cycle()
    assert after.run_ids
    assert search_calls(youtube)
    assert Product.objects.filter(company=company, last_discovered_at__isnull=False).count() == 2
    assert CompanyQuotaDay.objects.aggregate(total=Sum("search_calls"))["total"] >= 1


def test_a_cycle_that_finds_the_previous_one_still_running_steps_aside():
    from django.db import connections

    company = make_company()
    add_products(company, 1)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [cycle._CYCLE_LOCK])
        report = run_discovery_cycle()
    finally:
        other.close()
    assert report.note == "the previous cycle is still running; skipped"
    assert not DiscoveryRun.objects.exists()


def test_the_retention_schedule_resolves_its_job_when_it_runs():
    schedules.upsert_schedules()
    retention = Schedule.objects.get(name="maatchaa-retention")
    assert retention.func == "pipeline.tasks.retention"
    assert retention.schedule_type == Schedule.DAILY
    assert isinstance(tasks.retention(), str)
