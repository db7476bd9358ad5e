"""The day's YouTube quota plan, shared by every company on one API key.

A cycle spends at most its share of what is left, spread over the cycles left before the Pacific
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import Company
from discovery import quota
from discovery.models import CompanyQuotaDay
from shopify_app.models import Product

if TYPE_CHECKING:
    pass

logger = logging.getLogger("maatchaa.worker")


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
    """Companies with at least one product discovery may take, in one query."""
    discoverable = Product.objects.discoverable().filter(company=OuterRef("pk"))
    return Company.objects.filter(Exists(discoverable)).order_by("created_at", "pk")


def spent_today(*, company_ids: Iterable[uuid.UUID], now: dt.datetime) -> dict[uuid.UUID, tuple[int, int]]:
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
    spent_search, spent_units = spent_today(company_ids=[company.pk], now=now).get(company.pk, (0, 0))
    return (
        min(search_left, max(0, share_search - spent_search)),
        min(units_left, max(0, share_units - spent_units)),
    )
