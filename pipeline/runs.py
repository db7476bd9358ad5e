"""The DiscoveryRun lifecycle: create (one active per company), claim, execute, finish, abandon.

Triggers (schedule, product sync, admin, API, `run_discovery`) all create runs here; the database's
partial unique constraint `discoveryrun_one_active_per_company` decides races, not Python. A worker
claims a queued run with a conditional UPDATE (queued → running), so a run executes once however many
workers receive it.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Company
from discovery import selectors
from pipeline.discover import LogFn, discover_products
from pipeline.models import DiscoveryRun
from pipeline.outcome import run_outcome
from shopify_app import selectors as shop_selectors

logger = logging.getLogger("maatchaa.discovery")

# A run whose worker pid is gone on this machine is abandoned sooner, after this grace (the pid could
# belong to another machine sharing a Redis broker; its heartbeat would then be recent).
DEAD_PID_GRACE = timedelta(minutes=2)


def stale_heartbeat() -> timedelta:
    """A running run beats its heartbeat before every YouTube call and after every product; one silent
    this long has lost its worker (DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS)."""
    return timedelta(seconds=settings.DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS)


def create_discovery_run(*, company: Company, trigger: str) -> tuple[DiscoveryRun, bool]:
    """The company's new queued run, or its active (queued/running) run with created=False.

    An active run whose worker died (its heartbeat stale) is abandoned first, keeping its results, so
    a trigger after a killed worker starts a new run instead of answering "already in progress".
    """
    for attempt in range(3):
        active = DiscoveryRun.objects.filter(company=company, status__in=DiscoveryRun.ACTIVE_STATUSES).first()
        if active is not None:
            if attempt == 0 and abandon_stale_runs(company=company):
                continue
            return active, False
        try:
            with transaction.atomic():
                return DiscoveryRun.objects.create(company=company, trigger=trigger), True
        except IntegrityError:
            # Another trigger won the race between our read and our insert; return its run.
            continue
    active = DiscoveryRun.objects.filter(company=company, status__in=DiscoveryRun.ACTIVE_STATUSES).first()
    if active is None:  # pragma: no cover - the constraint fired three times and the run vanished each time
        raise RuntimeError(f"Could not create or find an active discovery run for {company}.")
    return active, False


def _claim(run_id: int) -> bool:
    now = timezone.now()
    return (
        DiscoveryRun.objects.filter(pk=run_id, status=DiscoveryRun.Status.QUEUED).update(
            status=DiscoveryRun.Status.RUNNING, started_at=now, heartbeat_at=now, worker_pid=os.getpid()
        )
        == 1
    )


def execute_discovery_run(
    *,
    run_id: int,
    product_limit: int | None = None,
    search_call_limit: int | None = None,
    unit_limit: int | None = None,
    log: LogFn | None = None,
    product_ids: Sequence[int] | None = None,
    extra_searches: bool | None = None,
) -> DiscoveryRun:
    """Claim the queued run `run_id` and discover its company's products; returns the finished row.

    Products are taken by rotation (never discovered first, then least recently discovered), ACTIVE
    only, up to `product_limit` (default WORKER_PRODUCTS_PER_CYCLE); `product_ids` narrows the choice.
    A run that is not queued (already claimed, finished or abandoned) is returned untouched. The row
    never stays 'running' after this returns or raises. `extra_searches` (default: scheduled runs, paced
    over the day, when DISCOVERY_EXTRA_SEARCHES is on) gives the calls left to the weakest products.
    """
    if not _claim(run_id):
        return DiscoveryRun.objects.get(pk=run_id)
    run = DiscoveryRun.objects.select_related("company").get(pk=run_id)
    try:
        limit = product_limit if product_limit is not None else settings.WORKER_PRODUCTS_PER_CYCLE
        products = selectors.products_in_rotation(company=run.company, limit=limit, product_ids=product_ids)
        run.products.set(products)
        DiscoveryRun.objects.filter(pk=run.pk).update(products_planned=len(products), heartbeat_at=timezone.now())
        if not products:
            message = "No products to discover (none ACTIVE in a connected shop)."
            if log:
                log(f"⚠️  {message}")
            _finish(run, status=DiscoveryRun.Status.SUCCEEDED, message=message)
        else:
            tally = discover_products(
                run=run,
                products=products,
                search_call_limit=search_call_limit,
                unit_limit=unit_limit,
                log=log,
                extra_searches=(
                    extra_searches
                    if extra_searches is not None
                    else settings.DISCOVERY_EXTRA_SEARCHES and run.trigger == DiscoveryRun.Trigger.SCHEDULE
                ),
            )
            if tally.interrupted:
                # Its worker was told to stop; the caller queues a run for the products not reached.
                left = len(products) - tally.products_done
                message = (
                    f"Abandoned: the worker was stopped (SIGTERM) after {tally.products_done} of {len(products)} "
                    f"products; partial results kept, the {left} not reached are queued again."
                )
                _finish(run, status=DiscoveryRun.Status.ABANDONED, message=message)
            else:
                outcome = run_outcome(tally=tally, planned=len(products))
                message = outcome.message
                waiting = _waiting_after(run, products) if product_ids is None else 0
                if waiting:
                    # The rotation takes them first next time; the dashboard says when that is.
                    message += f" {waiting} more wait for a later run."
                _finish(run, status=outcome.status, message=message)
    except BaseException as exc:
        # Whatever happened (an API error we did not expect, a bug, Ctrl-C), the row must not stay
        # 'running': it would block the company's next run until abandoned.
        logger.exception("Discovery run %s failed", run_id)
        _fail(run, exc)
        if not isinstance(exc, Exception):
            raise
    return DiscoveryRun.objects.get(pk=run_id)


def _waiting_after(run: DiscoveryRun, products: Sequence[object]) -> int:
    """How many of the company's discoverable products this run did not take."""
    return max(0, shop_selectors.discoverable_products(company=run.company).count() - len(products))


def _finish(run: DiscoveryRun, *, status: str, message: str) -> None:
    DiscoveryRun.objects.filter(pk=run.pk, status=DiscoveryRun.Status.RUNNING).update(
        status=status, message=message[:500], finished_at=timezone.now(), heartbeat_at=timezone.now()
    )


def _fail(run: DiscoveryRun, exc: BaseException) -> None:
    current = DiscoveryRun.objects.filter(pk=run.pk).values_list("errors", flat=True).first() or []
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    DiscoveryRun.objects.filter(pk=run.pk, status=DiscoveryRun.Status.RUNNING).update(
        status=DiscoveryRun.Status.FAILED,
        errors=[*current, detail][-50:],
        message=f"Failed: {detail}"[:500],
        finished_at=timezone.now(),
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def abandon_stale_runs(*, company: Company | None = None) -> int:
    """Mark runs whose worker died as abandoned, keeping their partial results; returns how many.

    A running run is stale when its heartbeat is older than DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS, or
    when its worker pid no longer exists here and it has been silent for DEAD_PID_GRACE (or the
    timeout, if shorter). A queued run that no worker claimed within django-q2's retry window has
    lost its task. Their products that were not reached keep their old last_discovered_at, so the
    next run's rotation picks them first. `company` limits this to one company's runs.
    """
    now = timezone.now()
    abandoned = 0
    stale_after = stale_heartbeat()
    grace = min(DEAD_PID_GRACE, stale_after)
    scope = DiscoveryRun.objects.filter(company=company) if company is not None else DiscoveryRun.objects.all()
    running = scope.filter(status=DiscoveryRun.Status.RUNNING)
    for run in running:
        heartbeat = run.heartbeat_at or run.started_at or run.created_at
        stale = heartbeat < now - stale_after
        dead = run.worker_pid is not None and not _pid_alive(run.worker_pid) and heartbeat < now - grace
        if run.worker_pid == os.getpid():
            dead = False  # our own process is alive by definition
        if stale or dead:
            silent = int((now - heartbeat).total_seconds())
            why = (
                f"its worker (pid {run.worker_pid}) has been silent for {silent} s"
                if stale
                else f"its worker (pid {run.worker_pid}) is gone"
            )
            abandoned += DiscoveryRun.objects.filter(pk=run.pk, status=DiscoveryRun.Status.RUNNING).update(
                status=DiscoveryRun.Status.ABANDONED,
                finished_at=now,
                message=f"Abandoned: {why}; partial results kept ({run.products_done} products done)."[:500],
            )
    retry = int(settings.Q_CLUSTER.get("retry", 2400))  # type: ignore[call-overload]
    lost = scope.filter(Q(status=DiscoveryRun.Status.QUEUED), created_at__lt=now - timedelta(seconds=retry))
    abandoned += lost.update(
        status=DiscoveryRun.Status.ABANDONED,
        finished_at=now,
        message="Abandoned: queued but never picked up by a worker.",
    )
    if abandoned:
        logger.info("Abandoned %s stale discovery run(s)", abandoned)
    return abandoned
