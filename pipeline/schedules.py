"""The django-q2 schedules this code base declares (upserted by name when the worker starts) and the worker's start:
the guide's banner, schedules, stale runs abandoned, due schedules sent."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import Schedule

from discovery import quota
from pipeline import runs

if TYPE_CHECKING:
    pass

logger = logging.getLogger("maatchaa.worker")

CYCLE_SCHEDULE_NAME = "maatchaa-discovery-cycle"
RETENTION_SCHEDULE_NAME = "maatchaa-retention"
WEBHOOK_PRUNE_SCHEDULE_NAME = "maatchaa-webhook-prune"
CYCLE_TASK = "pipeline.tasks.discovery_cycle"
RETENTION_TASK = "pipeline.tasks.retention"
# Old webhook delivery ids (kept for deduplication) are pruned daily; deletions stay as tombstones.
WEBHOOK_PRUNE_TASK = "shopify_app.tasks.prune_webhook_deliveries"
# A shop whose webhook registration failed at install (Shopify down, a refused address) is retried hourly.
WEBHOOK_REGISTRATION_SCHEDULE_NAME = "maatchaa-webhook-registration"
WEBHOOK_REGISTRATION_TASK = "shopify_app.tasks.retry_webhook_registrations"
# Members due their weekly what's-new email get it; the task itself skips members digested within the week.
DIGEST_SCHEDULE_NAME = "maatchaa-weekly-digest"
DIGEST_TASK = "creators.tasks.weekly_digest"
# Retention runs just after YouTube's quota resets, so refreshing 30-day-old data never competes
# with a day's discovery that has already spent the units.
RETENTION_AFTER_RESET = dt.timedelta(minutes=15)

# With no products anywhere the guide's worker sleeps this long, then looks again (a store that connects
# meanwhile does not wait for it: its product sync starts an immediate run).
NO_PRODUCTS_RETRY = dt.timedelta(minutes=30)

RULE = "=" * 60
# Arbitrary constants for PostgreSQL advisory locks (one namespace per purpose).
_SCHEDULE_LOCK = 7_346_001


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
            name=DIGEST_SCHEDULE_NAME,
            func=DIGEST_TASK,
            schedule_type=Schedule.DAILY,
            minutes=None,
            first_run=now + dt.timedelta(hours=2),
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


def _every(row: Schedule) -> str:
    if row.schedule_type == Schedule.MINUTES:
        return f"every {row.minutes} minutes"
    return {Schedule.HOURLY: "hourly", Schedule.DAILY: "daily", Schedule.WEEKLY: "weekly"}.get(
        row.schedule_type, str(row.get_schedule_type_display()).lower()
    )


def retry_cycle_after_no_products(*, now: dt.datetime | None = None) -> dt.datetime:
    """The guide's worker sleeps 30 minutes when it finds no products, then retries: the next cycle is set
    NO_PRODUCTS_RETRY from now, sooner or later than the interval would put it. After commit, so that the
    scheduler's own save of the row (it sets the next run when it sends the task) cannot overwrite it."""
    when = (now or timezone.now()) + NO_PRODUCTS_RETRY
    transaction.on_commit(lambda: Schedule.objects.filter(name=CYCLE_SCHEDULE_NAME).update(next_run=when))
    return when


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
        every = _every(row)
        write(f"📅 Schedule {row.name}: {every}, next run {row.next_run:%Y-%m-%d %H:%M:%S %Z}")
    abandoned = runs.abandon_stale_runs()
    if abandoned:
        write(f"🧹 Marked {abandoned} discovery run(s) whose worker died as abandoned (partial results kept)")
    # django-q2's guard calls the scheduler only every 30 seconds; the guide's worker starts with a
    # cycle, so due schedules are sent now.
    scheduler(broker=get_broker())
