"""Immediate and manual discovery: a catalog change (pipeline/receivers.py), the API, the admin action and
`run_discovery` all go through `trigger_discovery`. Every way, the schedule's included, creates its run with
`pipeline.runs.create_discovery_run`, whose partial unique constraint lets one run per company be active at a
time whatever races the triggers run."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django_q.tasks import async_task

from accounts.models import Company
from discovery import quota
from pipeline import runs
from pipeline.budget import company_share_left
from pipeline.models import DiscoveryRun
from shopify_app import selectors as shop_selectors

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger("maatchaa.worker")

RUN_TASK = "pipeline.tasks.run_discovery"


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
    # The guide's lines, with the run's own trigger: "IMMEDIATE" after a product sync, "MANUAL" for the
    # API, the dashboard's buttons, the admin and `run_discovery`.
    kind = "immediate" if run.trigger == DiscoveryRun.Trigger.IMMEDIATE else "manual"
    logger.info(f"🚀 {kind.upper()} DISCOVERY TRIGGERED for company: {company.pk}")
    found = shop_selectors.discoverable_products(company=company).count()
    logger.info(f"📊 Found {found} products for {kind} discovery")
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
    if run.status == DiscoveryRun.Status.SUCCEEDED:
        logger.info(f"✅ {kind.capitalize()} discovery complete for {run.products_done} products")
    else:
        logger.info(f"❌ {kind.capitalize()} discovery {run.status} after {run.products_done} products: {run.message}")
    return run


def resume_interrupted_run(*, run: DiscoveryRun) -> DiscoveryRun | None:
    """Queue a run, with the same trigger, for the products `run` did not reach before its worker was
    told to stop; None when it reached them all. The broker keeps the task until a worker takes it,
    after a restart if need be."""
    if run.started_at is None:
        return None
    left = sorted(
        run.products.filter(Q(last_discovered_at__isnull=True) | Q(last_discovered_at__lt=run.started_at)).values_list(
            "pk", flat=True
        )
    )
    if not left:
        return None
    resumed, created = runs.create_discovery_run(company=run.company, trigger=run.trigger)
    if created:
        _enqueue_run(resumed.pk, left)
        logger.info(
            "⏸️  Discovery run #%s stopped with the worker; run #%s queued for its %s other products",
            run.pk,
            resumed.pk,
            len(left),
        )
    return resumed


def give_back(*, run_id: int, product_ids: list[int] | None) -> None:
    """Put a queued run's task back on the queue untouched (its worker is stopping and must not start it)."""
    _enqueue_run(run_id, product_ids)
