"""Serve the YouTube Data API emulator over a corpus CSV until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from emulators.youtube.corpus import CorpusError, load_corpus
from emulators.youtube.server import EmulatorServer

DEMO_CORPUS = Path(settings.BASE_DIR) / "discovery" / "fixtures" / "demo" / "videos.csv"


class Command(BaseCommand):
    help = (
        "Run an emulator of the YouTube Data API v3 (search, videos, channels, playlistItems) over a corpus "
        "CSV in the shared videos.csv format, with YouTube's quota metering and optional injected faults. "
        "Point YOUTUBE_API_URL at the URL it prints. Control endpoints live under /_emulator/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--corpus",
            default=str(DEMO_CORPUS),
            help="videos CSV to serve (default: the demo corpus discovery/fixtures/demo/videos.csv)",
        )
        parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
        parser.add_argument(
            "--port",
            type=int,
            default=settings.YOUTUBE_EMULATOR_PORT,
            help=f"port to bind, 0 for any free one (default YOUTUBE_EMULATOR_PORT, {settings.YOUTUBE_EMULATOR_PORT})",
        )
        parser.add_argument(
            "--search-calls-per-day",
            type=int,
            default=100,
            help="search.list calls allowed per Pacific day (default 100)",
        )
        parser.add_argument(
            "--units-per-day",
            type=int,
            default=10_000,
            help="units for every other method per Pacific day (default 10000)",
        )
        parser.add_argument(
            "--error-rate", type=float, default=0.0, help="share of requests answered 500/503 backendError (0..1)"
        )
        parser.add_argument(
            "--rate-limit-rate",
            type=float,
            default=0.0,
            help="share of requests answered 403 (sometimes 429) rateLimitExceeded (0..1)",
        )
        parser.add_argument("--latency-ms", type=int, default=0, help="delay added to every API answer")
        parser.add_argument("--seed", type=int, default=0, help="seed of the fault draws (deterministic runs)")
        parser.add_argument("--verbose-http", action="store_true", help="log every HTTP request to stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("error_rate", "rate_limit_rate"):
            if not 0.0 <= options[name] <= 1.0:
                raise CommandError(f"--{name.replace('_', '-')} must be between 0 and 1")
        for name in ("search_calls_per_day", "units_per_day", "latency_ms"):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} must not be negative")
        path = Path(options["corpus"])
        self.stdout.write(f"Loading corpus {path} ...")
        try:
            corpus = load_corpus(path)
        except CorpusError as exc:
            raise CommandError(str(exc)) from exc
        try:
            server = EmulatorServer(
                corpus,
                host=options["host"],
                port=options["port"],
                search_calls_per_day=options["search_calls_per_day"],
                units_per_day=options["units_per_day"],
                error_rate=options["error_rate"],
                rate_limit_rate=options["rate_limit_rate"],
                latency_ms=options["latency_ms"],
                seed=options["seed"],
                verbose=options["verbose_http"],
            )
        except OSError as exc:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        skipped = f" ({corpus.skipped_rows} broken or duplicate rows skipped)" if corpus.skipped_rows else ""
        self.stdout.write(
            f"YouTube emulator serving {len(corpus.videos)} videos from {len(corpus.channels)} channels{skipped}\n"
            f"URL: {server.url}  (set YOUTUBE_API_URL={server.url})\n"
            f"Quota per Pacific day: {options['search_calls_per_day']} search calls, "
            f"{options['units_per_day']} units. Ctrl-C to stop."
        )
        stopping = threading.Event()

        def request_stop(signum: int, frame: object) -> None:
            stopping.set()

        previous = signal.signal(signal.SIGTERM, request_stop)
        server.start()
        try:
            while not stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.stop()
        usage = server.usage()
        self.stdout.write(
            f"Stopped after {len(server.calls)} API calls "
            f"(today: {usage['search_calls']} search calls, {usage['units']} units)."
        )
