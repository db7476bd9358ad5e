"""django-q2 tasks: thin, idempotent wrappers that take primary keys and call one service.

Schedules name these functions by dotted path (pipeline/schedules.py declares them), so their
names are part of the stored schedule rows: rename only together with the declaration.
"""

from __future__ import annotations

import importlib.util
import logging

from pipeline import cycle, schedules, shutdown, triggers
from pipeline.models import DiscoveryRun

logger = logging.getLogger("maatchaa.worker")


def discovery_cycle() -> str:
    """The scheduled cycle ("maatchaa-discovery-cycle"); with no products anywhere, the next in 30 minutes."""
    if shutdown.stop_requested():
        return "Cycle skipped: the worker is stopping (the next start runs one)."
    report = cycle.run_discovery_cycle()
    if report.note == cycle.NO_PRODUCTS:
        when = schedules.retry_cycle_after_no_products()
        minutes = int(schedules.NO_PRODUCTS_RETRY.total_seconds() // 60)
        logger.info(f"💤 Sleeping {minutes} minutes, then retrying (next cycle at {when:%H:%M %Z})")
    return report.summary()


def run_discovery(run_id: int, product_ids: list[int] | None = None) -> str:
    """Execute one queued immediate or manual run; a run that is gone or already taken is left alone."""
    run = DiscoveryRun.objects.select_related("company").filter(pk=run_id).first()
    if run is None:
        return f"Run {run_id} no longer exists."
    if run.status != DiscoveryRun.Status.QUEUED:
        return f"Run {run_id} is already {run.status}."
    if shutdown.stop_requested():
        # Taken off the queue as the worker was told to stop: back to the queue, for the next start.
        triggers.give_back(run_id=run.pk, product_ids=product_ids)
        return f"Run {run_id} given back to the queue: the worker is stopping."
    run = triggers.run_triggered_discovery(run=run, product_ids=product_ids)
    if run.status == DiscoveryRun.Status.ABANDONED and shutdown.stop_requested():
        triggers.resume_interrupted_run(run=run)
    return f"Run {run.pk} {run.status}: {run.message}"


def retention() -> str:
    """The daily retention job ("maatchaa-retention"), resolved when it runs."""
    # Resolved here rather than at import so that a worker without the retention module (an older
    # checkout) still runs discovery; an import error *inside* the module is still raised.
    if importlib.util.find_spec("discovery.retention") is None:
        logger.warning("⚠️  discovery.retention is not installed: retention skipped")
        return "Retention skipped: discovery.retention is not installed."
    from discovery import retention as retention_module

    result = retention_module.retention_task()
    return str(result)
