"""Reads of discovery runs, and when each waiting product's turn comes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django_q.models import Schedule

from accounts.models import Company
from pipeline.models import DiscoveryRun
from shopify_app.models import Product


def list_discovery_runs(*, company: Company) -> QuerySet[DiscoveryRun]:
    return DiscoveryRun.objects.filter(company=company).order_by("-created_at", "-pk")


def latest_discovery_run(*, company: Company) -> DiscoveryRun | None:
    return list_discovery_runs(company=company).first()


def active_discovery_run(*, company: Company) -> DiscoveryRun | None:
    return list_discovery_runs(company=company).filter(status__in=DiscoveryRun.ACTIVE_STATUSES).first()


# --- when each product's turn comes -------------------------------------------------------------------
@dataclass(frozen=True)
class Turn:
    """Where a product stands in discovery, in a marketer's words.

    state: "searching" (in the run under way), "next" (the next scheduled run takes it), "later" (a
    scheduled run after that), "inactive" (draft or archived in Shopify), "disconnected" (its store is);
    `at` the scheduled run's time, when known.
    """

    state: str
    text: str
    at: dt.datetime | None = None


def next_cycle_at() -> dt.datetime | None:
    """When the scheduled discovery runs next (None until a worker has started once)."""
    from pipeline.schedules import CYCLE_SCHEDULE_NAME

    return Schedule.objects.filter(name=CYCLE_SCHEDULE_NAME).values_list("next_run", flat=True).first()


def _clock(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%H:%M} UTC"


def product_turns(*, company: Company, now: dt.datetime | None = None) -> dict[int, Turn]:
    """For each product of `company` not discovered yet: when its turn comes (products already discovered
    show their last discovery instead). The rotation takes never-discovered products first, up to
    WORKER_PRODUCTS_PER_CYCLE a run; a run under way takes its share before the scheduled ones. The time is
    the schedule's, so "about": a day's spent YouTube quota can push it back."""
    now = now or timezone.now()
    waiting = list(
        Product.objects.filter(company=company, last_discovered_at__isnull=True).order_by("pk").only("pk", "status")
    )
    if not waiting:
        return {}
    turns: dict[int, Turn] = {}
    rotation = [p.pk for p in Product.objects.filter(pk__in=[p.pk for p in waiting]).discoverable().order_by("pk")]
    for product in waiting:
        if product.status != Product.Status.ACTIVE:
            turns[product.pk] = Turn(
                "inactive",
                f"Not searched: {product.get_status_display().lower()} in Shopify (only active products are)",
            )
        elif product.pk not in rotation:
            turns[product.pk] = Turn("disconnected", "Not searched while your store is disconnected")
    per_run = max(1, settings.WORKER_PRODUCTS_PER_CYCLE)
    active = active_discovery_run(company=company)
    queue = list(rotation)
    if active is not None:
        taken = (
            set(active.products.values_list("pk", flat=True)) if active.status == "running" else set(queue[:per_run])
        )
        for pk in queue:
            if pk in taken:
                turns[pk] = Turn("searching", "Being searched now")
        queue = [pk for pk in queue if pk not in taken]
    upcoming = next_cycle_at()
    interval = dt.timedelta(minutes=settings.WORKER_CYCLE_INTERVAL_MINUTES)
    for position, pk in enumerate(queue):
        later = position // per_run
        if upcoming is None:
            turns[pk] = Turn(
                "next" if later == 0 else "later",
                "Waiting for the first scheduled run (it starts with the worker)"
                if later == 0
                else f"Waiting: in scheduled run {later + 1} after the worker starts",
            )
            continue
        at = max(upcoming, now) + later * interval
        if later == 0:
            turns[pk] = Turn("next", f"Waiting: queued for the next run, at {_clock(at)}", at)
        else:
            turns[pk] = Turn("later", f"Waiting: queued for a later run, about {_clock(at)}", at)
    return turns
