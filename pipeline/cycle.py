"""The scheduled discovery cycle (`qcluster` runs it every WORKER_CYCLE_INTERVAL_MINUTES): one at a time, each
company in turn within its share of the cycle's budget (pipeline/budget.py)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Company
from discovery import quota, selectors
from pipeline import runs, shutdown, triggers
from pipeline.budget import (
    CycleBudget,
    discoverable_companies,
    fair_daily_share,
    plan_cycle_budget,
    spent_today,
    split_fair_shares,
)
from pipeline.models import DiscoveryRun
from pipeline.schedules import RULE

if TYPE_CHECKING:
    pass

logger = logging.getLogger("maatchaa.worker")

_CYCLE_LOCK = 7_346_002
NO_PRODUCTS = "no products"
_CYCLE_SEQUENCE = "discovery_cycle_number_seq"


# --- the cycle ------------------------------------------------------------------------------------
@dataclass
class CycleReport:
    number: int
    started_at: dt.datetime
    budget: CycleBudget | None = None
    run_ids: list[int] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # company id -> why
    search_calls: int = 0
    units: int = 0
    products_done: int = 0
    matches_made: int = 0
    failed: int = 0  # runs YouTube failed entirely
    partial: int = 0  # runs YouTube failed in part
    note: str = ""

    def summary(self) -> str:
        if self.note:
            return f"Cycle #{self.number}: {self.note}"
        trouble = "".join(
            f", {count} {what}" for count, what in ((self.failed, "failed"), (self.partial, "partial")) if count
        )
        return (
            f"Cycle #{self.number}: {len(self.run_ids)} run(s){trouble}, {self.products_done} products, "
            f"{self.search_calls} search calls, {self.units} units, {self.matches_made} matches"
        )


def _next_cycle_number() -> int:
    # A database sequence numbers cycles across restarts and worker machines without a model;
    # it is created on first use so no migration has to be coordinated for it.
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {_CYCLE_SEQUENCE}")
        cursor.execute("SELECT nextval(%s)", [_CYCLE_SEQUENCE])
        return int(cursor.fetchone()[0])


def _try_cycle_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_CYCLE_LOCK])
        return bool(cursor.fetchone()[0])


def _release_cycle_lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_CYCLE_LOCK])


def run_discovery_cycle(*, now: dt.datetime | None = None, log: Callable[[str], Any] | None = None) -> CycleReport:
    """One scheduled cycle: abandon stale runs, plan the budget, run each company's discovery in turn.

    Only one cycle runs at a time across all workers (a session advisory lock; a cycle that finds
    another still running returns at once). Companies with an active run (immediate or manual) are
    skipped this cycle; their share flows to the others.
    """
    emit = log or logger.info
    started = now or timezone.now()
    report = CycleReport(number=_next_cycle_number(), started_at=started)
    emit("")
    emit(RULE)
    emit(f"🔄 CYCLE #{report.number} - {started:%Y-%m-%d %H:%M:%S %Z}")
    emit(RULE)
    emit("")
    if not _try_cycle_lock():
        report.note = "the previous cycle is still running; skipped"
        emit(f"⏭️  {report.note.capitalize()}")
        return report
    try:
        _run_cycle(report=report, now=now, emit=emit)
    finally:
        _release_cycle_lock()
    emit(f"📈 {report.summary()}")
    return report


def _run_cycle(*, report: CycleReport, now: dt.datetime | None, emit: Callable[[str], Any]) -> None:
    abandoned = runs.abandon_stale_runs()
    if abandoned:
        emit(f"🧹 Marked {abandoned} stale discovery run(s) as abandoned (partial results kept)")
    companies = list(discoverable_companies())
    if not companies:
        report.note = NO_PRODUCTS
        emit("⚠️  No products found in database")
        emit("💡 Waiting for companies to connect Shopify stores...")
        return
    budget = plan_cycle_budget(now=now)
    report.budget = budget
    if budget.breaker_open_until is not None:
        report.note = f"breaker open until {budget.breaker_open_until:%Y-%m-%d %H:%M %Z}"
        emit(
            f"⛔ YouTube answered quotaExceeded today: no YouTube calls until the Pacific reset "
            f"({budget.breaker_open_until:%Y-%m-%d %H:%M %Z}); cycles resume by themselves after it"
        )
        return
    emit(
        f"💰 Budget: {budget.search_calls} search calls and {budget.units} units for this cycle "
        f"({budget.search_calls_left_today} calls and {budget.units_left_today} units left today, "
        f"{budget.cycles_left} cycles to the Pacific reset)"
    )
    if budget.search_calls <= 0:
        report.note = "no search calls in this cycle's share of the day"
        emit(
            f"⏸️  No search calls in this cycle's share: {budget.search_calls_left_today} left today, spread over "
            f"{budget.cycles_left} cycles"
        )
        return
    now = now or timezone.now()
    spent = spent_today(company_ids=[c.pk for c in companies], now=now)
    share_search, share_units = fair_daily_share()
    # Least spent today first; ties go to the company whose products waited longest.
    companies.sort(key=lambda c: (spent.get(c.pk, (0, 0))[0], _oldest_discovery(c), str(c.pk)))
    demand = settings.WORKER_PRODUCTS_PER_CYCLE * settings.WORKER_KEYWORDS_PER_PRODUCT
    allocation = split_fair_shares(
        spent=[(c.pk, spent.get(c.pk, (0, 0))[0]) for c in companies],
        budget=budget.search_calls,
        demand=demand,
        headroom={c.pk: max(0, share_search - spent.get(c.pk, (0, 0))[0]) for c in companies},
    )
    chosen = [c for c in companies if allocation[c.pk] > 0]
    waiting = [c for c in companies if allocation[c.pk] == 0]
    carry_search = 0
    units_left = budget.units
    # The companies without an allocation come last: they run only on what the others left unused.
    for index, company in enumerate(chosen + waiting):
        if shutdown.stop_requested():
            emit("⏸️  The worker is stopping: the other companies wait for the next cycle")
            break
        search_limit = allocation[company.pk] + carry_search
        if search_limit <= 0:
            report.skipped[str(company.pk)] = "no search calls left in this cycle's share"
            emit(f"⏭️  {company.name}: waits for a later cycle (this cycle's search calls went to others)")
            continue
        unit_limit = units_left // max(1, len(chosen) - index) if index < len(chosen) else units_left
        run, created = runs.create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.SCHEDULE)
        if not created:
            carry_search = search_limit
            report.skipped[str(company.pk)] = f"run {run.pk} already {run.status}"
            emit(f"⏭️  {company.name}: discovery run #{run.pk} is already {run.status}; its share goes to the others")
            continue
        emit(
            f"🏢 {company.name}: up to {settings.WORKER_PRODUCTS_PER_CYCLE} products, "
            f"{search_limit} search calls, {unit_limit} units"
        )
        try:
            run = runs.execute_discovery_run(
                run_id=run.pk,
                product_limit=settings.WORKER_PRODUCTS_PER_CYCLE,
                search_call_limit=search_limit,
                unit_limit=unit_limit,
            )
        except Exception:
            # One company's failure must not cost the others their turn; the run row says what failed.
            logger.exception("Discovery run %s for %s failed", run.pk, company)
            run.refresh_from_db()
        report.run_ids.append(run.pk)
        report.search_calls += run.search_calls
        report.units += run.units
        report.products_done += run.products_done
        report.matches_made += run.matches_made
        report.failed += run.status == DiscoveryRun.Status.FAILED
        report.partial += run.status == DiscoveryRun.Status.PARTIAL
        carry_search = max(0, search_limit - run.search_calls)
        units_left = max(0, units_left - run.units)
        mark = "✅" if run.status == DiscoveryRun.Status.SUCCEEDED else "❌"
        emit(
            f"{mark} {company.name}: {run.products_done} products, {run.search_calls} search calls, "
            f"{run.matches_made} matches ({run.status})"
        )
        if run.status != DiscoveryRun.Status.SUCCEEDED:
            emit(f"   {run.message}")
        if run.status == DiscoveryRun.Status.ABANDONED and shutdown.stop_requested():
            triggers.resume_interrupted_run(run=run)
            break
        if quota.breaker_open_until() is not None:
            emit("⛔ YouTube answered quotaExceeded: this cycle stops; cycles resume after the Pacific reset")
            break


def _oldest_discovery(company: Company) -> float:
    """Seconds since epoch of the company's least recently discovered product (never: 0)."""
    first = selectors.products_in_rotation(company=company, limit=1)
    if not first or first[0].last_discovered_at is None:
        return 0.0
    return first[0].last_discovered_at.timestamp()
