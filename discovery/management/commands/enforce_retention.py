"""python manage.py enforce_retention [--dry-run]: YouTube's 30-day rule now, by hand.

The same job the worker runs daily ("maatchaa-retention", discovery/retention.py): stored videos and
channels still in use are refreshed by id within today's units, everything that would pass
YOUTUBE_DATA_MAX_AGE_DAYS is deleted, stored search answers included. `--dry-run` prints what it
would do and changes and spends nothing, so an operator can act before an audit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from discovery import retention


class Command(BaseCommand):
    help = (
        "Refresh or delete stored YouTube data before it is YOUTUBE_DATA_MAX_AGE_DAYS old (videos, channels "
        "and stored search answers), as the daily schedule does, and print what was refreshed, deleted and "
        "spent. --dry-run prints what it would do, without a call or a change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be refreshed, deleted and spent; change nothing."
        )
        parser.add_argument(
            "--max-units",
            type=int,
            default=None,
            help="Spend at most this many of today's units on refreshing (default: what is left today).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["max_units"]
        if limit is not None and limit < 0:
            raise CommandError("--max-units must be 0 or more.")
        self.stdout.write(self._ages())
        if options["dry_run"]:
            forecast = retention.forecast_retention(unit_limit=limit)
            self.stdout.write(
                f"Dry run: would refresh {forecast.videos_refreshed} videos and {forecast.channels_refreshed} "
                f"channels, delete {forecast.videos_deleted} videos, {forecast.channels_deleted} channels and "
                f"{forecast.searches_deleted} stored search answers, and spend {forecast.units} units of the "
                f"{forecast.units_left} left today (no search calls)."
            )
            if forecast.message:
                self.stdout.write(self.style.WARNING(forecast.message))
            self.stdout.write("Nothing was changed and nothing was spent. (Videos or channels YouTube no longer")
            self.stdout.write("returns are only found by refreshing them; they would be deleted too.)")
            return
        # A YouTube failure (budget, breaker, configuration) stops the refreshing, never the deleting: the
        # run's message says why.
        run = retention.run_retention(unit_limit=limit)
        self.stdout.write(
            self.style.SUCCESS(
                f"Refreshed {run.videos_refreshed} videos and {run.channels_refreshed} channels, deleted "
                f"{run.videos_deleted} videos, {run.channels_deleted} channels and {run.searches_deleted} stored "
                f"search answers, and spent {run.units} units (no search calls)."
            )
        )
        if run.message:
            self.stdout.write(self.style.WARNING(run.message))
        self.stdout.write(self._ages())

    def _ages(self) -> str:
        now = timezone.now()
        oldest = retention.oldest_records()
        limit = settings.YOUTUBE_DATA_MAX_AGE_DAYS
        parts = [
            f"{label}s {(now - oldest[label]).total_seconds() / 86400:.1f} days" if label in oldest else f"no {label}s"
            for label, _model, _fetched in retention.YOUTUBE_DATA_TABLES
        ]
        return f"Oldest stored YouTube data (limit {limit} days): {', '.join(parts)}."
