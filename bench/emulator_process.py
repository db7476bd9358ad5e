"""The YouTube emulator in its own process, recording when each API call was in flight.

    python -m bench.emulator_process --corpus PATH --latency-ms 150 --timings OUT.json --ready READY

Used by bench/cycle_time.py: in its own process the emulator's searching does not compete with the
measured code for the GIL, as YouTube would not. It writes "<url>" to READY once serving and, on
SIGTERM, the calls' [resource, start, end] wall-clock intervals (time.time(), shared by both processes)
to OUT.json. An interval ends after the added latency, i.e. when the response is sent.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--search-calls-per-day", type=int, default=100)
    parser.add_argument("--units-per-day", type=int, default=10_000)
    parser.add_argument("--timings", required=True)
    parser.add_argument("--ready", required=True)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from emulators.youtube.corpus import load_corpus
    from emulators.youtube.server import EmulatorServer

    server = EmulatorServer(
        load_corpus(args.corpus),
        latency_ms=args.latency_ms,
        search_calls_per_day=args.search_calls_per_day,
        units_per_day=args.units_per_day,
    )
    intervals: list[list[Any]] = []
    lock = threading.Lock()
    handle = server.api.handle
    latency = args.latency_ms / 1000

    def timed_handle(resource: str, params: dict[str, str]) -> Any:
        # A probe on the fake YouTube, not on Maatchaa: when was a call being served.
        started = time.time()
        answer = handle(resource, params)
        with lock:
            intervals.append([resource, started, time.time() + latency])
        return answer

    server.api.handle = timed_handle  # type: ignore[method-assign]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    Path(args.ready).write_text(server.url)
    while not stop.wait(0.2):  # a short wait, so the SIGTERM handler runs promptly
        pass
    server.stop()
    with lock:
        Path(args.timings).write_text(json.dumps(intervals))


if __name__ == "__main__":
    main()
