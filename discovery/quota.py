"""The YouTube quota ledger: what was spent per Pacific day, and the quotaExceeded breaker.

YouTube resets quota at midnight America/Los_Angeles and, since 2026-06, meters search.list in its
own bucket of calls apart from the 10,000-unit pool that every other method shares. Every request is
written here *before* it is sent, through one conditional UPDATE per counter that only succeeds while
the budget holds, so any number of worker processes together never spend more than the budget: the
database, not a Python check, decides.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Company
from discovery.models import CompanyQuotaDay, QuotaDay

PACIFIC = ZoneInfo("America/Los_Angeles")


def pacific_day(now: dt.datetime | None = None) -> dt.date:
    """The quota day `now` falls in (YouTube's day runs midnight to midnight Pacific time)."""
    return (now or timezone.now()).astimezone(PACIFIC).date()


def next_pacific_midnight(now: dt.datetime | None = None) -> dt.datetime:
    """When YouTube's quota next resets, as an aware UTC datetime (DST handled by zoneinfo)."""
    tomorrow = pacific_day(now) + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=PACIFIC).astimezone(dt.UTC)


@dataclass(frozen=True)
class Refusal:
    """Why a call was not recorded (and so must not be sent)."""

    budget: str  # "search calls" or "units"
    limit: int
    used: int
    resets_at: dt.datetime
    breaker_open_until: dt.datetime | None = None
    breaker_reason: str = ""


def _ensure_day(day: dt.date) -> None:
    # INSERT … ON CONFLICT DO NOTHING: two processes creating the same day's row never collide.
    QuotaDay.objects.bulk_create([QuotaDay(day=day)], ignore_conflicts=True)


def _count_for_company(*, day: dt.date, company: Company, search_calls: int, units: int) -> None:
    updated = CompanyQuotaDay.objects.filter(day=day, company=company).update(
        search_calls=F("search_calls") + search_calls, units=F("units") + units
    )
    if not updated:
        CompanyQuotaDay.objects.bulk_create([CompanyQuotaDay(day=day, company=company)], ignore_conflicts=True)
        CompanyQuotaDay.objects.filter(day=day, company=company).update(
            search_calls=F("search_calls") + search_calls, units=F("units") + units
        )


def record_call(
    *,
    search_calls: int = 0,
    units: int = 0,
    company: Company | None = None,
    now: dt.datetime | None = None,
) -> Refusal | None:
    """Record one request in today's ledger if the budgets and the breaker allow it.

    Returns None when the call is recorded (the caller may now send it), or a Refusal saying which
    budget or breaker said no, in which case nothing was recorded and the call must not be sent.
    """
    now = now or timezone.now()
    day = pacific_day(now)
    search_budget = settings.YOUTUBE_DAILY_SEARCH_CALLS
    unit_budget = settings.YOUTUBE_DAILY_UNITS
    # Each call is checked against the bucket it draws from, and only that one: a day whose search
    # calls are spent (or over a budget lowered since) still allows videos.list, and the other way round.
    within = Q()
    if search_calls:
        within &= Q(search_calls__lte=search_budget - search_calls)
    if units:
        within &= Q(units__lte=unit_budget - units)
    for attempt in range(2):
        # One UPDATE is atomic by itself; the company's count joins it in a transaction when there is one.
        with transaction.atomic() if company is not None else contextlib.nullcontext():
            updated = (
                QuotaDay.objects.filter(day=day)
                .filter(Q(breaker_open_until__isnull=True) | Q(breaker_open_until__lte=now))
                .filter(within)
                .update(search_calls=F("search_calls") + search_calls, units=F("units") + units)
            )
            if updated == 1:
                if company is not None:
                    _count_for_company(day=day, company=company, search_calls=search_calls, units=units)
                return None
        if attempt == 0 and not QuotaDay.objects.filter(day=day).exists():
            _ensure_day(day)  # the day's first call: create its row, then try again
        else:
            break
    row = QuotaDay.objects.get(day=day)
    resets_at = next_pacific_midnight(now)
    if row.breaker_open_until is not None and row.breaker_open_until > now:
        return Refusal(
            budget="breaker",
            limit=0,
            used=0,
            resets_at=row.breaker_open_until,
            breaker_open_until=row.breaker_open_until,
            breaker_reason=row.breaker_reason,
        )
    # The bucket that refused, named with its own figures (a units call never reports the search count).
    if search_calls and row.search_calls + search_calls > search_budget:
        return Refusal(budget="search calls", limit=search_budget, used=row.search_calls, resets_at=resets_at)
    return Refusal(budget="units", limit=unit_budget, used=row.units, resets_at=resets_at)


def open_breaker(*, reason: str, now: dt.datetime | None = None) -> dt.datetime:
    """Stop every process from calling YouTube until the next Pacific midnight; returns that moment."""
    now = now or timezone.now()
    day = pacific_day(now)
    until = next_pacific_midnight(now)
    _ensure_day(day)
    QuotaDay.objects.filter(day=day).update(breaker_open_until=until, breaker_reason=reason[:500])
    return until


def breaker_open_until(now: dt.datetime | None = None) -> dt.datetime | None:
    """The moment the breaker closes, or None when calls may be sent."""
    now = now or timezone.now()
    until = (
        QuotaDay.objects.filter(day=pacific_day(now), breaker_open_until__gt=now)
        .values_list("breaker_open_until", flat=True)
        .first()
    )
    return until


def remaining_today(now: dt.datetime | None = None) -> tuple[int, int]:
    """(search calls, units) still in today's budgets; (0, 0) while the breaker is open."""
    now = now or timezone.now()
    row = QuotaDay.objects.filter(day=pacific_day(now)).first()
    if row is None:
        return settings.YOUTUBE_DAILY_SEARCH_CALLS, settings.YOUTUBE_DAILY_UNITS
    if row.breaker_open_until is not None and row.breaker_open_until > now:
        return 0, 0
    return (
        max(0, settings.YOUTUBE_DAILY_SEARCH_CALLS - row.search_calls),
        max(0, settings.YOUTUBE_DAILY_UNITS - row.units),
    )


def open_breaker_state(now: dt.datetime | None = None) -> tuple[dt.datetime, str] | None:
    """(when the open breaker closes, what YouTube answered to open it), or None when calls may be sent."""
    now = now or timezone.now()
    row = (
        QuotaDay.objects.filter(day=pacific_day(now), breaker_open_until__gt=now)
        .values_list("breaker_open_until", "breaker_reason")
        .first()
    )
    return (row[0], row[1]) if row is not None and row[0] is not None else None
