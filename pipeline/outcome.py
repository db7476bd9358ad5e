"""How a discovery run ends: its status and the message people read on the runs page and in the API.

succeeded: every planned product was discovered, or the run stopped where its budget said to (the
cycle's share, the day's budget): the products it did not reach simply wait for their turn.
partial: some products were discovered and YouTube failed others (or its quotaExceeded breaker, or a
storm of failures, stopped the run half-way).
failed: products were planned and YouTube failed all of them; nothing was discovered.

A product YouTube failed keeps its place at the front of the rotation; the message says what YouTube
answered and when the next try is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from discovery import quota
from pipeline.discover import DiscoveryTally
from pipeline.models import DiscoveryRun

MESSAGE_LENGTH = 500  # DiscoveryRun.message


@dataclass(frozen=True)
class RunOutcome:
    status: str
    message: str


def _utc(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def next_try(*, breaker_until: dt.datetime | None = None, now: dt.datetime | None = None) -> str:
    """When discovery tries again by itself: after the quota reset while the breaker is open, else the
    next scheduled cycle (the schedule row the worker upserts; its interval when there is none yet)."""
    now = now or timezone.now()
    if breaker_until is not None:
        return f"after YouTube's quota resets at {breaker_until.astimezone(quota.PACIFIC):%Y-%m-%d %H:%M %Z}"
    # Imported here: pipeline.schedules imports pipeline.runs, which imports this module.
    from pipeline.schedules import CYCLE_SCHEDULE_NAME

    planned = Schedule.objects.filter(name=CYCLE_SCHEDULE_NAME).values_list("next_run", flat=True).first()
    if planned is not None and planned > now:
        return f"the next cycle, at {_utc(planned)}"
    return f"the next cycle (every {settings.WORKER_CYCLE_INTERVAL_MINUTES} minutes)"


def _answers(tally: DiscoveryTally) -> str:
    """What YouTube answered, most frequent first: "503 backendError ×4, 500 backendError ×2"."""
    counted = sorted(tally.youtube_failures.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{answer} ×{count}" for answer, count in counted)


def run_outcome(*, tally: DiscoveryTally, planned: int) -> RunOutcome:
    youtube_failed = tally.products_failed > 0 or tally.stopped_by_youtube
    if not youtube_failed:
        if tally.stopped_reason:
            message = f"Stopped after {tally.products_done} of {planned} products: {tally.stopped_reason}"
        else:
            message = f"Discovered {tally.products_done} of {planned} products."
        return RunOutcome(DiscoveryRun.Status.SUCCEEDED, message[:MESSAGE_LENGTH])

    waiting = planned - tally.products_done
    if tally.products_done == 0:
        status = DiscoveryRun.Status.FAILED
        head = f"Failed: none of {planned} products discovered."
    else:
        status = DiscoveryRun.Status.PARTIAL
        head = f"Partial: {tally.products_done} of {planned} products discovered."
    if tally.breaker_until is not None:
        cause = tally.stopped_reason
    else:
        cause = f"YouTube answered {_answers(tally)} ({tally.failed_calls} failed calls)."
        if tally.stopped_reason:
            cause += f" Stopped: {tally.stopped_reason}."
    when = next_try(breaker_until=tally.breaker_until)
    keep = (
        "1 product not discovered keeps its turn"
        if waiting == 1
        else f"{waiting} products not discovered keep their turn"
    )
    turn = f"{keep}; next try: {when}."
    message = f"{head} {cause} {turn}"
    if tally.last_failure and tally.breaker_until is None:
        message += f" Last answer: {tally.last_failure}"
    return RunOutcome(status, message[:MESSAGE_LENGTH])
