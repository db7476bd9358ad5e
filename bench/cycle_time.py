"""Cycle time: one production cycle against the emulator with 150 ms added to every call.

    .venv/bin/python -m bench.cycle_time [--products 50] [--latency-ms 150]

One cycle at the guide's production settings (WORKER_PRODUCTS_PER_CYCLE=50, KEYWORDS=3, VIDEOS=10;
the 360-minute interval does not enter a single cycle) over 50 products: dev.json's 21, the demo
catalog's 12 ACTIVE ones and 17 written here. The emulator runs in its own process
(bench/emulator_process.py) serving the shared corpus, with 150 ms added latency per call and budgets
raised to 10,000 search calls (one production cycle of the guide asks for 150 searches, more than a
day's 100: the budget is not what this benchmark measures).

Measured in the same run, each from an empty state:
  - the guide's loop, sequential as written (bench/guide_loop.py), WITHOUT the original's 4 s/20 s
    sleeps (with them its cycle would take 150 x 20 s + 1,500 x 4 s more);
  - Maatchaa: one discovery run (create_discovery_run + execute_discovery_run, the real code) in a
    throwaway database (bench_cycle_time); its embedding time is measured through
    maatchaa.lib.embedding.set_embedder with a timing wrapper around the real embedder.
The floor: the calls Maatchaa made, at the concurrency Maatchaa uses (observed: the most calls in
flight at once), i.e. with one call at a time the sum of their durations; and, for the proposal, the
dependency chain with unbounded concurrency (search -> videos.list -> channels.list) plus the CPU work
that cannot overlap. Prints the ratios and where Maatchaa's time goes; writes bench/results/cycle_time.json.

    .venv/bin/python -m bench.cycle_time --products 6 --compare-calls-in-flight 1,4

compares YOUTUBE_CALLS_IN_FLIGHT values instead (no guide, no embedding floor): for each, in a fresh
database, a first cycle (everything new: bound by the embedding) and then a refresh cycle over the same
products with every stored search, video, channel and creator focus stale (DISCOVERY_QUERY_CACHE_HOURS and
DISCOVERY_FRESHNESS_DAYS at 0: every call made again, the vectors kept, nothing embedded: bound by the calls).
Prints each cycle's wall time, calls and the most calls in flight at once (from the emulator's side), and
the ratio of the first value's wall time to each other's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench._common import ROOT, log, ratio, setup_django, table, throwaway_database, write_results

DATABASE = "bench_cycle_time"
PRODUCTION = {"WORKER_PRODUCTS_PER_CYCLE": 50, "WORKER_KEYWORDS_PER_PRODUCT": 3, "WORKER_VIDEOS_PER_KEYWORD": 10}
TARGET = 1.2
SEARCH_BUDGET = 10_000
UNIT_BUDGET = 100_000

# Products in the kinds the corpus's Howto, Tech, Autos, Pets and Gaming creators review.
EXTRA_PRODUCTS = [
    (
        "Wireless Noise-Cancelling Headphones",
        "Headphones",
        "Over-ear Bluetooth headphones with active noise cancelling, 30-hour battery and a foldable design.",
        ["headphones", "noise cancelling", "bluetooth", "audio"],
    ),
    (
        "4K Waterproof Action Camera",
        "Camera",
        "A pocket action camera that films 4K60 video, waterproof to 10 m, with image stabilisation for biking and surfing.",
        ["action camera", "4k", "vlogging", "waterproof"],
    ),
    (
        "3-Axis Smartphone Gimbal",
        "Camera Accessory",
        "A folding gimbal that steadies phone video, with face tracking and a built-in tripod.",
        ["gimbal", "stabilizer", "smartphone", "filmmaking"],
    ),
    (
        "Foldable Electric Scooter",
        "Scooter",
        "A 350 W commuter e-scooter with 25 km range, disc brake and app lock.",
        ["electric scooter", "commute", "e-scooter"],
    ),
    (
        "Semi-Automatic Espresso Machine",
        "Coffee Machine",
        "A 15-bar espresso machine with a steam wand for lattes and cappuccinos at home.",
        ["espresso", "coffee", "latte art", "barista"],
    ),
    (
        "5.8 Qt Digital Air Fryer",
        "Kitchen Appliance",
        "An air fryer that crisps fries, wings and vegetables with little oil; eight presets.",
        ["air fryer", "cooking", "recipes", "kitchen"],
    ),
    (
        "Lightweight Wireless Gaming Mouse",
        "Gaming Mouse",
        "A 60 g wireless gaming mouse with a 26K DPI sensor and 70-hour battery.",
        ["gaming mouse", "esports", "fps", "pc gaming"],
    ),
    (
        "Robot Vacuum with Mapping",
        "Robot Vacuum",
        "A lidar-mapping robot vacuum that cleans room by room and empties itself.",
        ["robot vacuum", "smart home", "cleaning"],
    ),
    (
        "Matte Liquid Lipstick Set",
        "Makeup",
        "Six long-wear matte liquid lipsticks in nude and red shades that do not transfer.",
        ["makeup", "lipstick", "beauty", "matte"],
    ),
    (
        "Ceramic Hair Straightener",
        "Hair Tool",
        "A ceramic flat iron with adjustable heat up to 230 °C for straightening and curls.",
        ["hair", "straightener", "hairstyle", "flat iron"],
    ),
    (
        "1440p Car Dash Cam",
        "Dash Cam",
        "A front dash camera that records 1440p with night vision, parking mode and GPS.",
        ["dash cam", "car", "driving", "road"],
    ),
    (
        "Multi-Level Cat Tree Tower",
        "Cat Furniture",
        "A 150 cm cat tree with scratching posts, a condo and two perches.",
        ["cat", "cat tree", "pets", "kitten"],
    ),
    (
        "Foldable 4K Camera Drone",
        "Drone",
        "A sub-250 g folding drone with a 4K gimbal camera and 30-minute flights.",
        ["drone", "aerial", "4k", "fpv"],
    ),
    (
        "Fitness Smartwatch with GPS",
        "Smartwatch",
        "A smartwatch tracking runs with GPS, heart rate, sleep and workouts; 10-day battery.",
        ["smartwatch", "fitness tracker", "running", "gps"],
    ),
    (
        "Acrylic Paint Set 24 Colors",
        "Art Supplies",
        "Twenty-four acrylic paints with brushes for canvas painting, for beginners and artists.",
        ["acrylic painting", "art", "painting", "canvas"],
    ),
    (
        "Portable Bluetooth Speaker",
        "Speaker",
        "A waterproof portable speaker with deep bass and 20-hour playtime.",
        ["speaker", "bluetooth", "music", "party"],
    ),
    (
        "Mechanical Pencil Drafting Set",
        "Stationery",
        "Drafting mechanical pencils in 0.3 to 0.9 mm with leads and erasers for drawing.",
        ["drawing", "sketching", "stationery", "art"],
    ),
]


def build_products(count: int) -> list[dict[str, Any]]:
    from bench.corpus import read_labels

    products = [
        {
            "id": p["id"],
            "title": p["title"],
            "description": p.get("description", ""),
            "product_type": p.get("product_type", ""),
            "vendor": p.get("vendor", ""),
            "tags": p.get("tags", []),
        }
        for p in read_labels()["products"]
    ]
    catalog = json.loads((ROOT / "shopify_app" / "fixtures" / "demo" / "catalog.json").read_text())
    for p in catalog["products"]:
        if p.get("status", "ACTIVE") == "ACTIVE":
            products.append(
                {
                    "id": p["id"],
                    "title": p["title"],
                    "description": p.get("description", ""),
                    "product_type": p.get("productType", ""),
                    "vendor": p.get("vendor", ""),
                    "tags": p.get("tags", []),
                }
            )
    for index, (title, kind, description, tags) in enumerate(EXTRA_PRODUCTS):
        products.append(
            {
                "id": f"gid://shopify/Product/9900000000{index:03d}",
                "title": title,
                "description": description,
                "product_type": kind,
                "vendor": "Bench Goods",
                "tags": tags,
            }
        )
    if count > len(products):
        raise SystemExit(f"--products {count}: only {len(products)} are defined")
    return products[:count]


class Emulator:
    """bench/emulator_process.py in a subprocess."""

    def __init__(self, *, corpus: Path, latency_ms: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bench-emulator-"))
        self.ready = self.dir / "ready"
        self.timings = self.dir / "timings.json"
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "bench.emulator_process", "--corpus", str(corpus), "--latency-ms", str(latency_ms),
                "--search-calls-per-day", str(SEARCH_BUDGET), "--units-per-day", str(UNIT_BUDGET),
                "--timings", str(self.timings), "--ready", str(self.ready),
            ],
            cwd=ROOT,
        )  # fmt: skip
        deadline = time.time() + 300
        while not self.ready.exists():
            if self.process.poll() is not None or time.time() > deadline:
                raise SystemExit("The emulator process did not start")
            time.sleep(0.2)
        time.sleep(0.1)
        self.url = self.ready.read_text().strip()

    def cpu_seconds(self) -> float:
        """User + system CPU the emulator process has used so far (it shares the machine's cores)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> list[tuple[str, float, float]]:
        self.process.terminate()
        self.process.wait(timeout=60)
        intervals = [(r, s, e) for r, s, e in json.loads(self.timings.read_text())] if self.timings.exists() else []
        shutil.rmtree(self.dir, ignore_errors=True)
        return intervals


class TimedEmbedder:
    """The real embedder, timed: a backend swapped in through set_embedder, RANKING's public hook."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.intervals: list[tuple[float, float, int]] = []
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Any:
        self.texts.extend(texts)
        started = time.time()
        vectors = self.inner.embed(texts)
        self.intervals.append((started, time.time(), len(texts)))
        return vectors


def union_seconds(intervals: Sequence[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def max_concurrency(intervals: Sequence[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


def call_stats(intervals: list[tuple[str, float, float]], start: float, end: float) -> dict[str, Any]:
    mine = [(r, s, e) for r, s, e in intervals if start <= s <= end]
    spans = [(s, e) for _, s, e in mine]
    by_resource = Counter(r for r, _, _ in mine)
    mean = {r: sum(e - s for rr, s, e in mine if rr == r) / n for r, n in by_resource.items()}
    return {
        "calls": len(mine),
        "by_resource": dict(by_resource),
        "mean_seconds": {r: round(v, 3) for r, v in mean.items()},
        "sum_seconds": round(sum(e - s for s, e in spans), 2),
        "in_flight_seconds": round(union_seconds(spans), 2),
        "max_concurrency": max_concurrency(spans),
    }


def embedding_floor(embedder: Any, texts: Sequence[str]) -> tuple[float, str]:
    """Seconds the raw ONNX session takes on `texts` at the best batch shape (bench.embedding's method):
    a sweep on a sample picks the shape, then the best of two passes over every text is kept."""
    from bench.embedding import FIXED_SHAPES, TOKEN_SHAPES, padded_batches, time_raw

    if not texts:
        return 0.0, ""
    sample = list(texts)[:: max(1, len(texts) // 120)]
    shapes = [f"{n} texts" for n in FIXED_SHAPES if n <= 8] + [f"{n} tokens" for n in TOKEN_SHAPES if n <= 1024]
    best = min(shapes, key=lambda shape: time_raw(embedder, padded_batches(embedder, sample, shape)))
    batches = padded_batches(embedder, texts, best)
    return min(time_raw(embedder, batches) for _ in range(2)), best


def run_guide(url: str, products: list[dict[str, Any]]) -> tuple[float, float]:
    from bench.guide_loop import GuideLoop, GuideProduct

    loop = GuideLoop(
        base_url=url,
        products_per_cycle=PRODUCTION["WORKER_PRODUCTS_PER_CYCLE"],
        keywords_per_product=PRODUCTION["WORKER_KEYWORDS_PER_PRODUCT"],
        videos_per_keyword=PRODUCTION["WORKER_VIDEOS_PER_KEYWORD"],
    )
    started = time.time()
    loop.run_cycle([GuideProduct(key=p["id"], title=p["title"]) for p in products])
    return started, time.time()


def configure(url: str) -> None:
    from django.conf import settings

    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    settings.YOUTUBE_API_URL = url
    settings.YOUTUBE_API_KEY = "bench-cycle-time"
    settings.YOUTUBE_DAILY_SEARCH_CALLS = SEARCH_BUDGET
    settings.YOUTUBE_DAILY_UNITS = UNIT_BUDGET


def create_company(products: list[dict[str, Any]]) -> Any:
    from accounts.models import Company
    from shopify_app.models import Product

    company = Company.objects.create(name="Bench Cycle Co.")
    Product.objects.bulk_create(
        [
            Product(
                company=company, shopify_id=p["id"], title=p["title"], description=p["description"],
                product_type=p["product_type"], vendor=p["vendor"], tags=list(p["tags"]), status=Product.Status.ACTIVE,
            )
            for p in products
        ]
    )  # fmt: skip
    return company


def run_maatchaa(url: str, products: list[dict[str, Any]]) -> tuple[float, float, TimedEmbedder, dict[str, Any]]:
    from maatchaa.lib.embedding import get_embedder, set_embedder
    from pipeline.models import DiscoveryRun
    from pipeline.runs import create_discovery_run, execute_discovery_run

    configure(url)
    company = create_company(products)
    timed = TimedEmbedder(get_embedder())
    timed.inner.embed(["warm the model up"])  # loading the model is not part of a cycle in a running worker
    previous = set_embedder(timed)
    try:
        run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.SCHEDULE)
        started = time.time()
        main_cpu = time.thread_time()
        run = execute_discovery_run(run_id=run.pk, log=lambda line: None)
        main_cpu = time.thread_time() - main_cpu
        finished = time.time()
        # The same products again (their text unchanged, their videos fresh): what a second cycle embeds.
        first_texts = list(timed.texts)
        timed.texts.clear()
        again, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.SCHEDULE)
        again_started = time.time()
        again = execute_discovery_run(run_id=again.pk, log=lambda line: None)
        second = {
            "wall_seconds": round(time.time() - again_started, 2),
            "products_done": again.products_done,
            "search_calls": again.search_calls,
            "cached_searches": again.cached_searches,
            "texts_embedded": len(timed.texts),
        }
        timed.texts = first_texts
    finally:
        set_embedder(previous)
    summary = {
        **run_counters(run),
        "matches_made": run.matches_made,
        "message": run.message,
        "second_cycle": second,
        # CPU the main thread (calls, database, Python) spent: it shares the 2 cores with the embedding.
        "main_thread_cpu_seconds": round(main_cpu, 2),
    }
    return started, finished, timed, summary


def one_cycle(company: Any) -> tuple[float, float, dict[str, Any]]:
    """One scheduled discovery run of `company`: (start, end, its counters)."""
    from pipeline.models import DiscoveryRun
    from pipeline.runs import create_discovery_run, execute_discovery_run

    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.SCHEDULE)
    started = time.time()
    run = execute_discovery_run(run_id=run.pk, log=lambda line: None)
    finished = time.time()
    return started, finished, run_counters(run)


def run_counters(run: Any) -> dict[str, Any]:
    """A finished discovery run's counters, as the results record them."""
    return {
        "status": run.status,
        "products_done": run.products_done,
        "search_calls": run.search_calls,
        "cached_searches": run.cached_searches,
        "units": run.units,
        "videos_found": run.videos_found,
    }


def compare_calls_in_flight(args: argparse.Namespace, products: list[dict[str, Any]], values: list[int]) -> None:
    """Each YOUTUBE_CALLS_IN_FLIGHT value in a fresh database: a first cycle, then a refresh cycle (module doc)."""
    from django.conf import settings

    from bench.corpus import corpus_path
    from maatchaa.lib.embedding import get_embedder, set_embedder

    log(f"emulator: starting over {corpus_path()} with {args.latency_ms} ms added latency")
    emulator = Emulator(corpus=corpus_path(), latency_ms=args.latency_ms)
    timed = TimedEmbedder(get_embedder())
    timed.inner.embed(["warm the model up"])
    previous = set_embedder(timed)
    windows: dict[int, dict[str, tuple[float, float, dict[str, Any], int]]] = {}
    freshness = (settings.DISCOVERY_QUERY_CACHE_HOURS, settings.DISCOVERY_FRESHNESS_DAYS)
    try:
        for value in values:
            configure(emulator.url)
            settings.YOUTUBE_CALLS_IN_FLIGHT = value
            settings.DISCOVERY_QUERY_CACHE_HOURS, settings.DISCOVERY_FRESHNESS_DAYS = freshness
            with throwaway_database(database=DATABASE, keep=args.keep_db):
                company = create_company(products)
                texts = len(timed.texts)
                log(f"YOUTUBE_CALLS_IN_FLIGHT={value}: first cycle")
                first = one_cycle(company)
                windows.setdefault(value, {})["first"] = (*first, len(timed.texts) - texts)
                log(f"  {first[1] - first[0]:.1f} s: {first[2]}")
                # Everything stored is stale now: every call is made again; unchanged texts keep their vectors.
                settings.DISCOVERY_QUERY_CACHE_HOURS, settings.DISCOVERY_FRESHNESS_DAYS = 0, 0
                texts = len(timed.texts)
                log(f"YOUTUBE_CALLS_IN_FLIGHT={value}: refresh cycle")
                refresh = one_cycle(company)
                windows[value]["refresh"] = (*refresh, len(timed.texts) - texts)
                log(f"  {refresh[1] - refresh[0]:.1f} s: {refresh[2]}")
    finally:
        set_embedder(previous)
        settings.DISCOVERY_QUERY_CACHE_HOURS, settings.DISCOVERY_FRESHNESS_DAYS = freshness
        intervals = emulator.stop()

    results: dict[str, Any] = {
        "mode": "compare_calls_in_flight",
        "products": len(products),
        "latency_ms": args.latency_ms,
        "settings": PRODUCTION,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "runs": {},
    }
    rows = [
        [
            "calls in flight",
            "cycle",
            "wall",
            "calls (search / videos / channels / playlistItems)",
            "most in flight",
            "texts embedded",
        ]
    ]
    for value, cycles in windows.items():
        results["runs"][value] = {}
        for name, (start, end, counters, embedded) in cycles.items():
            calls = call_stats(intervals, start, end)
            results["runs"][value][name] = {
                "wall_seconds": round(end - start, 2),
                "run": counters,
                "calls": calls,
                "texts_embedded": embedded,
            }
            by = calls["by_resource"]
            rows.append(
                [
                    str(value),
                    name,
                    f"{end - start:.1f} s",
                    f"{calls['calls']} ({by.get('search', 0)} / {by.get('videos', 0)} / {by.get('channels', 0)} / "
                    f"{by.get('playlistItems', 0)})",
                    str(calls["max_concurrency"]),
                    str(embedded),
                ]
            )
    log("")
    log(
        f"Cycle time by YOUTUBE_CALLS_IN_FLIGHT: {len(products)} products (50/3/10), {args.latency_ms} ms added per call, "
        f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f})"
    )
    log(table(rows))
    base = values[0]
    ratios: dict[str, float] = {}
    for value in values[1:]:
        for name in ("first", "refresh"):
            wall = results["runs"][value][name]["wall_seconds"]
            base_wall = results["runs"][base][name]["wall_seconds"]
            ratios[f"{name} {base}/{value}"] = round(ratio(base_wall, wall), 2)
            log(
                f"=> {name} cycle: wall with {base} call(s) in flight / with {value}: "
                f"{base_wall:.1f} s / {wall:.1f} s = {ratio(base_wall, wall):.2f}x"
            )
    results["ratios"] = ratios
    path = write_results("cycle_time", results)
    log(f"results: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--skip-guide", action="store_true", help="measure Maatchaa only")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database for inspection")
    parser.add_argument(
        "--compare-calls-in-flight",
        metavar="N,M",
        default="",
        help="compare YOUTUBE_CALLS_IN_FLIGHT values (e.g. 1,4): a first and a refresh cycle each, in fresh "
        "databases; no guide, no embedding floor",
    )
    args = parser.parse_args()

    setup_django(database=DATABASE)
    from bench.corpus import corpus_path

    products = build_products(args.products)
    if args.compare_calls_in_flight:
        try:
            values = [int(v) for v in args.compare_calls_in_flight.split(",") if v.strip()]
        except ValueError:
            raise SystemExit("--compare-calls-in-flight takes numbers separated by commas, e.g. 1,4") from None
        if len(values) < 2 or min(values) < 1:
            raise SystemExit("--compare-calls-in-flight takes at least two values of 1 or more, e.g. 1,4")
        compare_calls_in_flight(args, products, values)
        return
    log(f"emulator: starting over {corpus_path()} with {args.latency_ms} ms added latency")
    emulator = Emulator(corpus=corpus_path(), latency_ms=args.latency_ms)
    from django.conf import settings

    results: dict[str, Any] = {
        "products": len(products),
        "latency_ms": args.latency_ms,
        "settings": PRODUCTION,
        "cpu_count": os.cpu_count(),
        "calls_in_flight_setting": settings.YOUTUBE_CALLS_IN_FLIGHT,
    }
    try:
        if not args.skip_guide:
            log("guide's loop: one sequential cycle (no sleeps)")
            guide_window = run_guide(emulator.url, products)
            log(f"  {guide_window[1] - guide_window[0]:.1f} s")
        log("Maatchaa: one discovery run")
        emulator_cpu = emulator.cpu_seconds()
        with throwaway_database(database=DATABASE, keep=args.keep_db):
            m_start, m_end, timed, summary = run_maatchaa(emulator.url, products)
        summary["emulator_cpu_seconds"] = round(emulator.cpu_seconds() - emulator_cpu, 2)
        log(f"  {m_end - m_start:.1f} s: {summary}")
    finally:
        intervals = emulator.stop()

    log(f"embedding floor: the raw session on the cycle's {len(timed.texts)} texts at its best batch shape")
    embed_floor, floor_shape = embedding_floor(timed.inner, timed.texts)
    log(f"  {embed_floor:.1f} s ({floor_shape})")
    wall = m_end - m_start
    calls = call_stats(intervals, m_start, m_end)
    embed_spans = [(s, e) for s, e, _ in timed.intervals if m_start <= s <= m_end]
    embed_seconds = union_seconds(embed_spans)
    texts = sum(n for s, _, n in timed.intervals if m_start <= s <= m_end)
    concurrency = max(1, calls["max_concurrency"])
    # One call at a time: the floor is the calls back to back. With k at a time it could be no less
    # than their total divided by k; Maatchaa's own k is what the run showed.
    floor = calls["sum_seconds"] / concurrency
    means = calls["mean_seconds"]
    chain = sum(means.get(r, 0.0) for r in ("search", "videos", "channels"))
    results["maatchaa"] = {
        "wall_seconds": round(wall, 2),
        "run": summary,
        "calls": calls,
        "embedding": {
            "seconds": round(embed_seconds, 2),
            "texts": texts,
            "texts_per_second": round(texts / embed_seconds, 1) if embed_seconds else None,
        },
        "other_seconds": round(wall - calls["in_flight_seconds"] - embed_seconds, 2),
        "floor_seconds_at_its_concurrency": round(floor, 2),
        "ratio_to_floor": round(ratio(wall, floor), 2),
        "chain_seconds_unbounded_concurrency": round(chain, 3),
        "floor_seconds_concurrent_calls_plus_cpu": round(chain + embed_seconds, 2),
        # With the calls overlapped with the embedding, a run can be no faster than the longer of the two.
        "floor_seconds_calls_or_embedding": round(max(floor, embed_seconds), 2),
        "ratio_to_calls_or_embedding": round(ratio(wall, max(floor, embed_seconds)), 2),
        # The floor: the calls at Maatchaa's concurrency, or the raw session encoding what the cycle
        # had to embed (every text it embedded: the videos new to the database and the products), whichever
        # is longer.
        "embedding_floor_seconds": round(embed_floor, 2),
        "embedding_floor_shape": floor_shape,
        "floor_seconds_calls_or_raw_embedding": round(max(floor, embed_floor), 2),
        "ratio_to_calls_or_raw_embedding": round(ratio(wall, max(floor, embed_floor)), 2),
    }
    if not args.skip_guide:
        guide_calls = call_stats(intervals, guide_window[0], guide_window[1])
        results["guide"] = {
            "wall_seconds": round(guide_window[1] - guide_window[0], 2),
            "calls": guide_calls,
            "sleeps_omitted_seconds": guide_calls["by_resource"].get("search", 0) * 20
            + guide_calls["by_resource"].get("channels", 0) * 4,
        }
    report(results)


def report(results: dict[str, Any]) -> None:
    m = results["maatchaa"]
    log("")
    log(
        f"Cycle time: one production cycle ({results['products']} products, 50/3/10), {results['latency_ms']} ms added per call, "
        f"{results['cpu_count']} CPUs"
    )
    rows = [["", "wall", "calls", "search / videos / channels", "calls in flight", "max concurrency"]]
    guide = results.get("guide")
    if guide:
        g = guide["calls"]
        rows.append(
            [
                "guide's loop (sequential, no sleeps)",
                f"{guide['wall_seconds']:.1f} s",
                str(g["calls"]),
                f"{g['by_resource'].get('search', 0)} / {g['by_resource'].get('videos', 0)} / {g['by_resource'].get('channels', 0)}",
                f"{g['in_flight_seconds']:.1f} s",
                str(g["max_concurrency"]),
            ]
        )
    c = m["calls"]
    rows.append(
        [
            "Maatchaa (one discovery run)",
            f"{m['wall_seconds']:.1f} s",
            str(c["calls"]),
            f"{c['by_resource'].get('search', 0)} / {c['by_resource'].get('videos', 0)} / {c['by_resource'].get('channels', 0)}",
            f"{c['in_flight_seconds']:.1f} s",
            str(c["max_concurrency"]),
        ]
    )
    rows.append(
        ["floor: Maatchaa's calls at its concurrency", f"{m['floor_seconds_at_its_concurrency']:.1f} s", "", "", "", ""]
    )
    log(table(rows))
    log(
        f"  most calls in flight at once (the emulator's count): {c['max_concurrency']}, with "
        f"YOUTUBE_CALLS_IN_FLIGHT={results['calls_in_flight_setting']}"
    )
    log(
        f"  where Maatchaa's time goes: YouTube calls {c['in_flight_seconds']:.1f} s, embedding {m['embedding']['seconds']:.1f} s "
        f"({m['embedding']['texts']} texts, {m['embedding']['texts_per_second']}/s), database and Python {m['other_seconds']:.1f} s"
    )
    log(
        f"  with every search concurrent and each product's videos.list/channels.list right after: the call chain is "
        f"{m['chain_seconds_unbounded_concurrency']:.2f} s; plus the embedding CPU: {m['floor_seconds_concurrent_calls_plus_cpu']:.1f} s"
    )
    if guide:
        log(f"  (the guide's loop would add {guide['sleeps_omitted_seconds']:,} s of the original's sleeps)")
    log(
        f"  overlapping calls with embedding, a run can be no faster than max(calls, embedding) = "
        f"{m['floor_seconds_calls_or_embedding']:.1f} s: Maatchaa / that: {m['ratio_to_calls_or_embedding']:.2f}x"
    )
    log(
        f"  embedding floor (the raw session on the cycle's {m['embedding']['texts']} texts, {m['embedding_floor_shape']}): "
        f"{m['embedding_floor_seconds']:.1f} s; calls floor {m['floor_seconds_at_its_concurrency']:.1f} s"
    )
    log(
        f"  CPU beside the embedding on the {results['cpu_count']} cores: Maatchaa's main thread "
        f"{m['run']['main_thread_cpu_seconds']:.1f} s, the emulator {m['run']['emulator_cpu_seconds']:.1f} s over both cycles "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    second = m["run"].get("second_cycle")
    if second:
        log(
            f"  a second cycle over the same products: {second['wall_seconds']:.1f} s, {second['products_done']} products, "
            f"{second['search_calls']} search calls ({second['cached_searches']} from storage), "
            f"{second['texts_embedded']} texts embedded"
        )
    verdict = "within" if m["ratio_to_calls_or_raw_embedding"] <= TARGET else "OVER"
    log(
        f"=> Maatchaa / max(calls floor, embedding floor): {m['ratio_to_calls_or_raw_embedding']:.2f}x "
        f"({verdict} the {TARGET}x target)"
    )
    verdict = "within" if m["ratio_to_floor"] <= TARGET else "OVER"
    log(f"=> Maatchaa / floor: {m['ratio_to_floor']:.2f}x ({verdict} the {TARGET}x target)")
    if guide:
        log(f"=> guide's loop / Maatchaa: {ratio(guide['wall_seconds'], m['wall_seconds']):.2f}x")
        results["ratio_guide_to_maatchaa"] = round(ratio(guide["wall_seconds"], m["wall_seconds"]), 2)
    path = write_results("cycle_time", results)
    log(f"results: {path}")


if __name__ == "__main__":
    main()
