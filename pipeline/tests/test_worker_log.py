"""The worker's log says what the guide's says, about what really happened: the run's own trigger, the
schedules' real periods, one 🎥/✅ pair per video, and the guide's 30-minute wait when there are no products."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django_q.conf import Conf
from django_q.models import Schedule

from pipeline import schedules, tasks
from pipeline.discover import discover_products
from pipeline.models import DiscoveryRun
from pipeline.tests.cycles_support import add_products, make_company, worker_log, write_demo_corpus
from pipeline.triggers import trigger_discovery

pytestmark = pytest.mark.django_db


@pytest.fixture
def youtube(youtube_emulator_for, tmp_path):
    return youtube_emulator_for(write_demo_corpus(tmp_path))


@pytest.fixture
def sync_tasks(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)


def test_a_manual_run_says_manual_and_an_immediate_one_immediate(
    youtube, sync_tasks, settings, django_capture_on_commit_callbacks
):
    settings.WORKER_PRODUCTS_PER_CYCLE = 1
    company = make_company()
    add_products(company, 2)
    with worker_log() as lines, django_capture_on_commit_callbacks(execute=True):
        trigger_discovery(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    assert f"🚀 MANUAL DISCOVERY TRIGGERED for company: {company.pk}" in lines
    assert "📊 Found 2 products for manual discovery" in lines
    assert "✅ Manual discovery complete for 1 products" in lines
    assert not [line for line in lines if "IMMEDIATE" in line or "Immediate" in line]

    with worker_log() as lines, django_capture_on_commit_callbacks(execute=True):
        trigger_discovery(company=company, trigger=DiscoveryRun.Trigger.IMMEDIATE)
    assert f"🚀 IMMEDIATE DISCOVERY TRIGGERED for company: {company.pk}" in lines
    assert "✅ Immediate discovery complete for 1 products" in lines
    assert not [line for line in lines if "MANUAL" in line]


def test_the_worker_prints_each_schedule_with_its_real_period(settings):
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 5
    lines: list[str] = []
    for row in schedules.upsert_schedules():
        lines.append(f"{row.name}: {schedules._every(row)}")
    assert "maatchaa-discovery-cycle: every 5 minutes" in lines
    assert "maatchaa-webhook-registration: hourly" in lines
    assert "maatchaa-retention: daily" in lines
    assert "maatchaa-webhook-prune: daily" in lines


def test_each_video_is_logged_as_the_guides_analyzing_and_indexed_pair(youtube):
    product = add_products(make_company(), 1)[0]
    lines: list[str] = []
    discover_products(run=None, products=[product], log=lines.append)
    analyzing = [i for i, line in enumerate(lines) if line.startswith("         🎥 Analyzing: ")]
    assert analyzing
    for index in analyzing:
        title = lines[index].removeprefix("         🎥 Analyzing: ")
        assert lines[index + 1] == f"         ✅ Indexed: {title}"
    assert len([line for line in lines if "✅ Indexed: " in line]) == len(analyzing)


@pytest.mark.django_db(transaction=True)
def test_with_no_products_the_next_cycle_comes_in_thirty_minutes_as_the_guides_worker_sleeps(settings):
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 360
    start = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        schedules.upsert_schedules()
        with worker_log() as lines:
            tasks.discovery_cycle()
    cycle = Schedule.objects.get(name=schedules.CYCLE_SCHEDULE_NAME)
    assert cycle.next_run == start + dt.timedelta(minutes=30)
    assert "⚠️  No products found in database" in lines
    assert "💤 Sleeping 30 minutes, then retrying (next cycle at 12:30 UTC)" in lines


@pytest.mark.django_db(transaction=True)
def test_a_cycle_that_finds_products_keeps_the_interval(settings, youtube):
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 360
    settings.WORKER_PRODUCTS_PER_CYCLE = 1
    add_products(make_company(), 1)
    schedules.upsert_schedules()
    Schedule.objects.filter(name=schedules.CYCLE_SCHEDULE_NAME).update(next_run=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    with worker_log() as lines:
        tasks.discovery_cycle()
    assert Schedule.objects.get(name=schedules.CYCLE_SCHEDULE_NAME).next_run == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert not [line for line in lines if "Sleeping" in line]


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_saving_its_own_next_run_does_not_undo_the_thirty_minutes(settings, sync_tasks):
    # django-q2's scheduler sets the next run and saves the schedule after it sent the task (inline here).
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 5
    before = dt.datetime.now(dt.UTC)
    with worker_log():
        schedules.prepare_worker(write=lambda line: None)
    next_run = Schedule.objects.get(name=schedules.CYCLE_SCHEDULE_NAME).next_run
    assert before + dt.timedelta(minutes=29) < next_run < dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31)
