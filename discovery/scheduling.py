"""When discovery runs: the scheduled cycle, immediate and manual triggers, and the quota they share.

Three ways start a discovery, as in the worker guide: the schedule (`qcluster` runs
`run_discovery_cycle` every WORKER_CYCLE_INTERVAL_MINUTES), a product sync (shopify_app/signals.py,
coalesced to one run per company per transaction) and a person (admin action, API, command). Every
way goes through `discovery.runs.create_discovery_run`, whose partial unique constraint lets one
run per company be active at a time whatever races the triggers run.

One API key's quota serves every company, so the day's search calls and units are planned here:
a cycle spends at most its share of what is left, spread over the cycles left before the Pacific
reset, and splits that share equally between companies, least-spent company first. A company's
unused share flows to the next company in the same cycle, and a manual or immediate run draws on
its own company's share of the day (CompanyQuotaDay), never on the others'.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from discovery import quota, runs, selectors
from discovery.models import CompanyQuotaDay, DiscoveryRun
from shopify_app.models import Company, Product, Shop

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger("maatchaa.worker")

CYCLE_SCHEDULE_NAME = "maatchaa-discovery-cycle"
RETENTION_SCHEDULE_NAME = "maatchaa-retention"
WEBHOOK_PRUNE_SCHEDULE_NAME = "maatchaa-webhook-prune"
CYCLE_TASK = "discovery.tasks.discovery_cycle"
RETENTION_TASK = "discovery.tasks.retention"
RUN_TASK = "discovery.tasks.run_discovery"
# Old webhook delivery ids (kept for deduplication) are pruned daily; deletions stay as tombstones.
WEBHOOK_PRUNE_TASK = "shopify_app.tasks.prune_webhook_deliveries"
# A shop whose webhook registration failed at install (Shopify down, a refused address) is retried hourly.
WEBHOOK_REGISTRATION_SCHEDULE_NAME = "maatchaa-webhook-registration"
WEBHOOK_REGISTRATION_TASK = "shopify_app.tasks.retry_webhook_registrations"
# Retention runs just after YouTube's quota resets, so refreshing 30-day-old data never competes
# with a day's discovery that has already spent the units.
RETENTION_AFTER_RESET = dt.timedelta(minutes=15)

RULE = "=" * 60
# Arbitrary constants for PostgreSQL advisory locks (one namespace per purpose).
_SCHEDULE_LOCK = 7_346_001
_CYCLE_LOCK = 7_346_002
_CYCLE_SEQUENCE = "discovery_cycle_number_seq"


# --- schedules ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeclaredSchedule:
    name: str
    func: str
    schedule_type: str
    minutes: int | None
    first_run: dt.datetime


def declared_schedules(*, now: dt.datetime | None = None) -> tuple[DeclaredSchedule, ...]:
    """The schedules this code base wants, read from settings now (so a restart applies new values)."""
    now = now or timezone.now()
    return (
        DeclaredSchedule(
            name=CYCLE_SCHEDULE_NAME,
            func=CYCLE_TASK,
            schedule_type=Schedule.MINUTES,
            minutes=settings.WORKER_CYCLE_INTERVAL_MINUTES,
            # The guide's worker runs its first cycle at start: a new schedule is due at once.
            first_run=now,
        ),
        DeclaredSchedule(
            name=RETENTION_SCHEDULE_NAME,
            func=RETENTION_TASK,
            schedule_type=Schedule.DAILY,
            minutes=None,
            first_run=quota.next_pacific_midnight(now) + RETENTION_AFTER_RESET,
        ),
        DeclaredSchedule(
            name=WEBHOOK_PRUNE_SCHEDULE_NAME,
            func=WEBHOOK_PRUNE_TASK,
            schedule_type=Schedule.DAILY,
            minutes=None,
            first_run=now + dt.timedelta(hours=1),
        ),
        DeclaredSchedule(
            name=WEBHOOK_REGISTRATION_SCHEDULE_NAME,
            func=WEBHOOK_REGISTRATION_TASK,
            schedule_type=Schedule.HOURLY,
            minutes=None,
            first_run=now + dt.timedelta(minutes=10),
        ),
    )


def upsert_schedules(*, now: dt.datetime | None = None) -> list[Schedule]:
    """Create or update the declared schedules by name; returns the rows.

    django-q2 keeps `Schedule.name` unique in Python only, so two workers starting together take a
    transaction-scoped advisory lock first, and stray duplicates of a name are deleted. An existing
    schedule keeps its next run unless a shorter interval brings it closer.
    """
    now = now or timezone.now()
    rows: list[Schedule] = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCHEDULE_LOCK])
        for declared in declared_schedules(now=now):
            existing = list(Schedule.objects.filter(name=declared.name).order_by("pk"))
            for duplicate in existing[1:]:
                duplicate.delete()
            row = existing[0] if existing else Schedule(name=declared.name, next_run=declared.first_run)
            if row.pk is not None and declared.minutes and row.minutes != declared.minutes:
                row.next_run = min(row.next_run or now, now + dt.timedelta(minutes=declared.minutes))
            row.func = declared.func
            row.schedule_type = declared.schedule_type
            row.minutes = declared.minutes
            row.repeats = -1
            row.cluster = None
            row.save()
            rows.append(row)
    return rows


# --- the worker's start ---------------------------------------------------------------------------
def worker_banner() -> list[str]:
    """The guide's start banner and configuration lines, plus what this worker adds (broker, budget)."""
    broker = "Redis" if settings.REDIS_URL else "the database (ORM)"
    return [
        RULE,
        "  MAATCHAA CREATOR DISCOVERY WORKER",
        "  Intelligent Product-to-Creator Matching",
        RULE,
        "",
        RULE,
        "🚀 CREATOR DISCOVERY WORKER STARTED",
        RULE,
        "⚙️  Configuration:",
        f"   • Cycle Interval: {settings.WORKER_CYCLE_INTERVAL_MINUTES} minutes",
        f"   • Products per Cycle: {settings.WORKER_PRODUCTS_PER_CYCLE}",
        f"   • Keywords per Product: {settings.WORKER_KEYWORDS_PER_PRODUCT}",
        f"   • Videos per Keyword: {settings.WORKER_VIDEOS_PER_KEYWORD}",
        f"   • Daily YouTube Budget: {settings.YOUTUBE_DAILY_SEARCH_CALLS} search calls, "
        f"{settings.YOUTUBE_DAILY_UNITS} units",
        f"   • Broker: {broker}",
        RULE,
    ]


def prepare_worker(*, write: Callable[[str], Any]) -> None:
    """What `qcluster` does before its cluster starts: banner, schedules, stale runs, due schedules.

    Runs in the command's own process, before django-q2 forks its workers (the command then closes
    the connections, so that no child inherits a socket).
    """
    from django_q.brokers import get_broker
    from django_q.scheduler import scheduler

    for line in worker_banner():
        write(line)
    for row in upsert_schedules():
        every = f"every {row.minutes} minutes" if row.schedule_type == Schedule.MINUTES else "daily"
        write(f"📅 Schedule {row.name}: {every}, next run {row.next_run:%Y-%m-%d %H:%M:%S %Z}")
    abandoned = runs.abandon_stale_runs()
    if abandoned:
        write(f"🧹 Marked {abandoned} discovery run(s) whose worker died as abandoned (partial results kept)")
    # django-q2's guard calls the scheduler only every 30 seconds; the guide's worker starts with a
    # cycle, so due schedules are sent now.
    scheduler(broker=get_broker())


# --- the quota plan -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CycleBudget:
    search_calls: int
    units: int
    search_calls_left_today: int
    units_left_today: int
    cycles_left: int
    resets_at: dt.datetime
    breaker_open_until: dt.datetime | None = None


def _cycle_share(*, left: int, daily: int, cycles_left: int, fraction_after: float) -> int:
    """How much of `left` one cycle may spend.

    At most an even split of what is left over the cycles left (rounded up, so a small budget is
    still spent), and no more than keeps spending at or under the day's straight line, so that 100
    search calls over 288 five-minute cycles go one every three cycles instead of all by 8 a.m.
    """
    if cycles_left <= 1:
        return left
    even = math.ceil(left / cycles_left)
    on_line = left - math.ceil(daily * fraction_after)
    return max(0, min(even, on_line, left))


def plan_cycle_budget(*, now: dt.datetime | None = None) -> CycleBudget:
    now = now or timezone.now()
    resets_at = quota.next_pacific_midnight(now)
    search_left, units_left = quota.remaining_today(now)
    breaker = quota.breaker_open_until(now)
    interval = dt.timedelta(minutes=settings.WORKER_CYCLE_INTERVAL_MINUTES)
    time_left = resets_at - now
    cycles_left = max(1, math.ceil(time_left / interval))
    if breaker is not None:
        return CycleBudget(0, 0, 0, 0, cycles_left, resets_at, breaker)
    day_start = dt.datetime.combine(quota.pacific_day(now), dt.time(0), tzinfo=quota.PACIFIC)
    day_length = resets_at - day_start  # 23 or 25 hours on DST days
    fraction_after = max(0.0, (time_left - interval) / day_length)
    return CycleBudget(
        search_calls=_cycle_share(
            left=search_left,
            daily=settings.YOUTUBE_DAILY_SEARCH_CALLS,
            cycles_left=cycles_left,
            fraction_after=fraction_after,
        ),
        units=_cycle_share(
            left=units_left, daily=settings.YOUTUBE_DAILY_UNITS, cycles_left=cycles_left, fraction_after=fraction_after
        ),
        search_calls_left_today=search_left,
        units_left_today=units_left,
        cycles_left=cycles_left,
        resets_at=resets_at,
    )


def discoverable_companies() -> QuerySet[Company]:
    """Companies with at least one product discovery may take.

    The same rule as selectors.discoverable_products (ACTIVE, shop not uninstalled), as one query.
    """
    discoverable = Product.objects.filter(company=OuterRef("pk"), status=Product.Status.ACTIVE).filter(
        Q(shop__isnull=True) | ~Q(shop__status=Shop.Status.UNINSTALLED)
    )
    return Company.objects.filter(Exists(discoverable)).order_by("created_at", "pk")


def _spent_today(*, company_ids: Iterable[uuid.UUID], now: dt.datetime) -> dict[uuid.UUID, tuple[int, int]]:
    rows = CompanyQuotaDay.objects.filter(day=quota.pacific_day(now), company_id__in=list(company_ids))
    return {row.company_id: (row.search_calls, row.units) for row in rows}


def split_fair_shares(
    *,
    spent: Sequence[tuple[Any, int]],
    budget: int,
    demand: int,
    headroom: dict[Any, int] | None = None,
) -> dict[Any, int]:
    """Split `budget` between companies, one call at a time to the one that has spent least today.

    `spent` lists (company key, spent today) in tie-break order; nobody gets more than `demand`
    (what one run can use). First every company is held to its `headroom` (what is left of its
    fair share of the day); what nobody within their headroom can use then flows to the others.
    """
    allocation = {key: 0 for key, _ in spent}
    order = {key: index for index, (key, _) in enumerate(spent)}
    left = budget
    for capped in (True, False):
        heap = [(used + allocation[key], order[key], key) for key, used in spent]
        heapq.heapify(heap)
        while left > 0 and heap:
            used, rank, key = heapq.heappop(heap)
            limit = demand if not capped or headroom is None else min(demand, headroom.get(key, demand))
            if allocation[key] >= limit:
                continue
            allocation[key] += 1
            left -= 1
            heapq.heappush(heap, (used + 1, rank, key))
    return allocation


def fair_daily_share() -> tuple[int, int]:
    """Each discoverable company's equal share of the day's (search calls, units)."""
    companies = max(1, discoverable_companies().count())
    return settings.YOUTUBE_DAILY_SEARCH_CALLS // companies, settings.YOUTUBE_DAILY_UNITS // companies


def company_share_left(*, company: Company, now: dt.datetime | None = None) -> tuple[int, int]:
    """What a manual or immediate run of `company` may spend: its share of the day less what it spent.

    Never more than the day has left; (0, 0) while the breaker is open.
    """
    now = now or timezone.now()
    search_left, units_left = quota.remaining_today(now)
    share_search, share_units = fair_daily_share()
    spent_search, spent_units = _spent_today(company_ids=[company.pk], now=now).get(company.pk, (0, 0))
    return (
        min(search_left, max(0, share_search - spent_search)),
        min(units_left, max(0, share_units - spent_units)),
    )


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
    note: str = ""

    def summary(self) -> str:
        if self.note:
            return f"Cycle #{self.number}: {self.note}"
        return (
            f"Cycle #{self.number}: {len(self.run_ids)} run(s), {self.products_done} products, "
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
        report.note = "no products"
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
    spent = _spent_today(company_ids=[c.pk for c in companies], now=now)
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
        carry_search = max(0, search_limit - run.search_calls)
        units_left = max(0, units_left - run.units)
        emit(
            f"✅ {company.name}: {run.products_done} products, {run.search_calls} search calls, "
            f"{run.matches_made} matches ({run.status})"
        )
        if quota.breaker_open_until() is not None:
            emit("⛔ YouTube answered quotaExceeded: this cycle stops; cycles resume after the Pacific reset")
            break


def _oldest_discovery(company: Company) -> float:
    """Seconds since epoch of the company's least recently discovered product (never: 0)."""
    first = selectors.products_in_rotation(company=company, limit=1)
    if not first or first[0].last_discovered_at is None:
        return 0.0
    return first[0].last_discovered_at.timestamp()


# --- triggers --------------------------------------------------------------------------------------
def _enqueue_run(run_id: int, product_ids: list[int] | None) -> None:
    async_task(
        RUN_TASK,
        run_id,
        product_ids=product_ids,
        task_name=f"discovery-run-{run_id}",
        group="maatchaa-discovery-run",
    )


def trigger_discovery(
    *,
    company: Company,
    trigger: str,
    user: User | AnonymousUser | None = None,
    product_ids: Sequence[int] | None = None,
) -> tuple[DiscoveryRun, bool]:
    """Create a discovery run for `company` and enqueue it after commit, or return its active run.

    Returns (run, created). A company with a queued or running run gets that run back (created=False)
    and nothing is enqueued, so any number of racing triggers make one run. `product_ids` narrows a
    new run to those products (admin action on products); default: the rotation.
    """
    run, created = runs.create_discovery_run(company=company, trigger=trigger)
    who = f" by {user}" if user is not None else ""
    if created:
        # robust: a broker that cannot take the task must not turn a committed request into a 500;
        # the queued run is abandoned by a later cycle and a later trigger creates a new one.
        ids = sorted(product_ids) if product_ids is not None else None
        transaction.on_commit(partial(_enqueue_run, run.pk, ids), robust=True)
        logger.info("🚀 Discovery run #%s (%s) queued for company %s%s", run.pk, trigger, company.pk, who)
    else:
        logger.info("⏳ Discovery for company %s already %s (run #%s)%s", company.pk, run.status, run.pk, who)
    return run, created


def run_triggered_discovery(*, run: DiscoveryRun, product_ids: Sequence[int] | None = None) -> DiscoveryRun:
    """Execute an immediate or manual run within its company's share of the day (the task's body)."""
    company = run.company
    logger.info(f"🚀 IMMEDIATE DISCOVERY TRIGGERED for company: {company.pk}")
    found = selectors.discoverable_products(company=company).count()
    logger.info(f"📊 Found {found} products for immediate discovery")
    logger.info("")
    breaker = quota.breaker_open_until()
    if breaker is not None:
        logger.info(
            f"⛔ YouTube answered quotaExceeded today: no YouTube calls until {breaker:%Y-%m-%d %H:%M %Z}; "
            "stored results only"
        )
    search_limit, unit_limit = company_share_left(company=company)
    run = runs.execute_discovery_run(
        run_id=run.pk,
        product_limit=settings.WORKER_PRODUCTS_PER_CYCLE,
        search_call_limit=search_limit,
        unit_limit=unit_limit,
        product_ids=product_ids,
    )
    logger.info("")
    logger.info(f"✅ Immediate discovery complete for {run.products_done} products")
    return run
