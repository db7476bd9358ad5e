"""Quota efficiency: relevant creators found per search call, the guide's loop against Maatchaa's planner.

    .venv/bin/python -m bench.quota_efficiency

For the labelled products of dev.json (MAATCHAA_SHARED_DIR/eval/dev.json), against the YouTube emulator
serving the shared corpus with YouTube's budgets (100 search calls and 10,000 units a Pacific day), runs
a simulated day of cycles (every WORKER_CYCLE_INTERVAL_MINUTES) three times on a reset emulator:
  (a)  the guide's loop implemented literally (bench/guide_loop.py): the first WORKER_PRODUCTS_PER_CYCLE
       products every cycle, WORKER_KEYWORDS_PER_PRODUCT "<title> review"/"<title> unboxing"... searches of
       WORKER_VIDEOS_PER_KEYWORD results ordered by view count, no cache, no deduplication, one
       videos.list per search and one channels.list per video; until the quota refuses;
  (a') the same loop made fairer: every product its turn, relevance order;
  (c)  the fair baseline: the same keywords, each searched exactly once (no repeats: over a day the
       loops above repeat most of their searches), relevance order, WORKER_VIDEOS_PER_KEYWORD results;
  (c') the same with 50 results a search (one call either way), so that the gain from asking for 50
       results shows apart from the gain from Maatchaa's queries and ranking;
  (b)  Maatchaa: create_discovery_run + execute_discovery_run (pipeline/runs.py, the real code and
       YouTube client) each cycle, in a throwaway database (bench_quota_efficiency).
The simulated day needs no clock: the cycle interval only matters against the 72-hour query cache and
the 7-day freshness, which a day never reaches, so cycles run back to back. Maatchaa's day ends when a
full rotation of cycles spends nothing (every later cycle repeats from storage) or the quota refuses.

Counts, from the emulator's call log: search calls (and the distinct queries among them) and units.
Relevant creators: distinct (product, creator) pairs with grade >= 2 in creator_qrels. For the guide's
loop, every creator a search returned counts (an upper bound), and apart those the original would have
kept (heuristic score >= 4 and 1,000 views); for Maatchaa, its ranked creators (CreatorMatch rows), and
apart those in a strong or good fit band (what its lists show above the fold). Writes
bench/results/quota_efficiency.json.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from bench._common import log, ratio, setup_django, table, throwaway_database, write_results

DATABASE = "bench_quota_efficiency"
SEARCH_CALLS_PER_DAY = 100
UNITS_PER_DAY = 10_000
TARGET = 10.0
RELEVANT_GRADE = 2


def relevant_pairs(pairs: set[tuple[str, str]], creator_qrels: dict[str, dict[str, int]]) -> set[tuple[str, str]]:
    return {
        (product, channel)
        for product, channel in pairs
        if creator_qrels.get(product, {}).get(channel, 0) >= RELEVANT_GRADE
    }


def emulator_spend(emulator: Any) -> dict[str, int]:
    calls = emulator.calls
    return {
        "search_calls": sum(1 for c in calls if c.bucket == "search"),
        "units": sum(c.cost for c in calls if c.bucket == "units"),
        "refused": sum(1 for c in calls if c.reason == "quotaExceeded"),
        "videos_list": sum(1 for c in calls if c.resource == "videos" and c.bucket),
        "channels_list": sum(1 for c in calls if c.resource == "channels" and c.bucket),
    }


def run_guide(
    emulator: Any,
    products: list[Any],
    *,
    settings: Any,
    cycles: int,
    rotate: bool,
    order: str,
    qrels: dict[str, Any],
    once: bool = False,
    videos_per_keyword: int | None = None,
) -> dict[str, Any]:
    from bench.guide_loop import GuideLoop

    emulator.reset()
    loop = GuideLoop(
        base_url=emulator.url,
        products_per_cycle=settings.WORKER_PRODUCTS_PER_CYCLE,
        keywords_per_product=settings.WORKER_KEYWORDS_PER_PRODUCT,
        videos_per_keyword=videos_per_keyword or settings.WORKER_VIDEOS_PER_KEYWORD,
        order=order,
        rotate=rotate,
    )
    started = time.perf_counter()
    tally = loop.run_once(products) if once else loop.run_day(products, cycles=cycles)
    spend = emulator_spend(emulator)
    found = relevant_pairs(tally.returned, qrels)
    kept = relevant_pairs(tally.kept, qrels)
    return {
        "cycles": tally.cycles,
        "stopped": tally.stopped_reason or "end of day",
        **spend,
        "distinct_queries": len(tally.queries),
        "products_searched": len(tally.products_searched),
        "creators_returned": len(tally.returned),
        "creators_kept": len(tally.kept),
        "relevant_creators": len(found),
        "relevant_creators_kept_by_heuristic": len(kept),
        "relevant_per_search_call": len(found) / spend["search_calls"] if spend["search_calls"] else 0.0,
        "relevant_per_distinct_query": len(found) / len(tally.queries) if tally.queries else 0.0,
        "seconds": round(time.perf_counter() - started, 1),
    }


def run_maatchaa(emulator: Any, labels: dict[str, Any], *, cycles: int) -> dict[str, Any]:
    from django.conf import settings

    from accounts.models import Company
    from matches.models import CreatorMatch
    from pipeline.models import DiscoveryRun
    from pipeline.runs import create_discovery_run, execute_discovery_run
    from shopify_app.models import Product

    emulator.reset()
    settings.YOUTUBE_API_URL = emulator.url
    settings.YOUTUBE_API_KEY = "bench-maatchaa"
    settings.YOUTUBE_DAILY_SEARCH_CALLS = SEARCH_CALLS_PER_DAY
    settings.YOUTUBE_DAILY_UNITS = UNITS_PER_DAY
    company = Company.objects.create(name="Bench Quota Co.")
    for item in labels["products"]:
        Product.objects.create(
            company=company,
            shopify_id=item["id"],
            handle=item.get("handle", ""),
            title=item["title"],
            description=item.get("description", ""),
            product_type=item.get("product_type", ""),
            vendor=item.get("vendor", ""),
            tags=list(item.get("tags", [])),
            status=Product.Status.ACTIVE,
        )
    per_rotation = math.ceil(len(labels["products"]) / settings.WORKER_PRODUCTS_PER_CYCLE)
    idle_cycles = 0
    history = []
    started = time.perf_counter()
    for number in range(1, cycles + 1):
        run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.SCHEDULE)
        cycle_started = time.perf_counter()
        run = execute_discovery_run(run_id=run.pk, log=lambda line: None)
        history.append(
            {
                "cycle": number,
                "status": run.status,
                "products_done": run.products_done,
                "search_calls": run.search_calls,
                "cached_searches": run.cached_searches,
                "units": run.units,
                "matches_made": run.matches_made,
                "seconds": round(time.perf_counter() - cycle_started, 1),
                "message": run.message,
            }
        )
        log(
            f"  Maatchaa cycle {number}: {run.products_done}/{run.products_planned} products, {run.search_calls} search calls, "
            f"{run.cached_searches} from storage, {run.units} units ({history[-1]['seconds']} s) {run.status}"
        )
        if run.status != DiscoveryRun.Status.SUCCEEDED:
            log(f"  run {run.status}: {run.message} {run.errors}")
            break
        idle_cycles = idle_cycles + 1 if run.search_calls == 0 and run.units == 0 else 0
        if idle_cycles >= per_rotation:
            break
    spend = emulator_spend(emulator)
    by_product = dict(Product.objects.filter(company=company).values_list("pk", "shopify_id"))
    pairs = {
        (by_product[p], c)
        for p, c in CreatorMatch.objects.filter(product__company=company).values_list("product_id", "channel_id")
    }
    top10 = {
        (by_product[p], c)
        for p, c in CreatorMatch.objects.filter(product__company=company, rank__lte=10).values_list(
            "product_id", "channel_id"
        )
    }
    shown = {
        (by_product[p], c)
        for p, c in CreatorMatch.objects.filter(product__company=company)
        .exclude(fit_band=CreatorMatch.FitBand.WEAK)
        .values_list("product_id", "channel_id")
    }
    found = relevant_pairs(pairs, labels["creator_qrels"])
    return {
        "cycles": len(history),
        "stopped": "steady state (a full rotation spent nothing)"
        if idle_cycles >= per_rotation
        else history[-1]["message"],
        **spend,
        "distinct_queries": spend["search_calls"],  # searches are deduplicated: every call is a new query
        "products_searched": len({p for p, _ in pairs}),
        "creators_returned": len(pairs),
        "creators_kept": len(shown),
        "relevant_creators": len(found),
        "relevant_creators_in_top10": len(relevant_pairs(top10, labels["creator_qrels"])),
        "relevant_creators_kept_in_strong_or_good": len(relevant_pairs(shown, labels["creator_qrels"])),
        "relevant_per_search_call": len(found) / spend["search_calls"] if spend["search_calls"] else 0.0,
        "seconds": round(time.perf_counter() - started, 1),
        "history": history,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database for inspection")
    args = parser.parse_args()

    setup_django(database=DATABASE)
    from django.conf import settings

    from bench.corpus import corpus_path, read_labels
    from bench.guide_loop import GuideProduct
    from emulators.youtube.corpus import load_corpus
    from emulators.youtube.server import EmulatorServer

    labels = read_labels()
    qrels = labels["creator_qrels"]
    products = [GuideProduct(key=item["id"], title=item["title"]) for item in labels["products"]]
    cycles = 24 * 60 // settings.WORKER_CYCLE_INTERVAL_MINUTES
    log(f"corpus: loading {corpus_path()}")
    corpus = load_corpus(corpus_path())
    config = {
        "products": len(products),
        "products_with_relevant_creators": sum(
            1 for p in products if any(g >= RELEVANT_GRADE for g in qrels.get(p.key, {}).values())
        ),
        "relevant_pairs_labelled": sum(
            1 for p in products for g in qrels.get(p.key, {}).values() if g >= RELEVANT_GRADE
        ),
        "cycle_interval_minutes": settings.WORKER_CYCLE_INTERVAL_MINUTES,
        "cycles_per_day": cycles,
        "products_per_cycle": settings.WORKER_PRODUCTS_PER_CYCLE,
        "keywords_per_product": settings.WORKER_KEYWORDS_PER_PRODUCT,
        "videos_per_keyword": settings.WORKER_VIDEOS_PER_KEYWORD,
        "search_calls_per_day": SEARCH_CALLS_PER_DAY,
        "units_per_day": UNITS_PER_DAY,
    }
    results: dict[str, Any] = {"config": config}
    with EmulatorServer(corpus, search_calls_per_day=SEARCH_CALLS_PER_DAY, units_per_day=UNITS_PER_DAY) as emulator:
        log("(a) the guide's loop, literally")
        results["guide_literal"] = run_guide(
            emulator, products, settings=settings, cycles=cycles, rotate=False, order="viewCount", qrels=qrels
        )
        log("(a') the guide's loop with rotation and relevance order")
        results["guide_fair"] = run_guide(
            emulator, products, settings=settings, cycles=cycles, rotate=True, order="relevance", qrels=qrels
        )
        log("(c) the same keywords once each, 5 results")
        results["keywords_once_5"] = run_guide(
            emulator, products, settings=settings, cycles=1, rotate=True, order="relevance", qrels=qrels, once=True
        )
        log("(c') the same keywords once each, 50 results")
        results["keywords_once_50"] = run_guide(
            emulator,
            products,
            settings=settings,
            cycles=1,
            rotate=True,
            order="relevance",
            qrels=qrels,
            once=True,
            videos_per_keyword=50,
        )
        log("(b) Maatchaa's planner (pipeline/runs.py)")
        with throwaway_database(database=DATABASE, keep=args.keep_db):
            results["maatchaa"] = run_maatchaa(emulator, labels, cycles=cycles)
    report(results)


def report(results: dict[str, Any]) -> None:
    config = results["config"]
    a, fair, b = results["guide_literal"], results["guide_fair"], results["maatchaa"]
    once5, once50 = results["keywords_once_5"], results["keywords_once_50"]
    log("")
    log(
        f"Quota efficiency over a simulated day: {config['products']} labelled products "
        f"({config['relevant_pairs_labelled']} relevant product-creator pairs labelled), budget "
        f"{config['search_calls_per_day']} search calls + {config['units_per_day']:,} units; settings "
        f"{config['cycle_interval_minutes']} min / {config['products_per_cycle']} products / "
        f"{config['keywords_per_product']} keywords / {config['videos_per_keyword']} videos"
    )
    rows = [
        [
            "",
            "search calls",
            "distinct",
            "units",
            "relevant found",
            "relevant kept",
            "per search call",
            "stopped",
        ]
    ]
    runs = (
        ("(a) guide loop, literal", a, "relevant_creators_kept_by_heuristic"),
        ("(a') guide loop, fairer", fair, "relevant_creators_kept_by_heuristic"),
        ("(c) keywords once, 5 results", once5, "relevant_creators_kept_by_heuristic"),
        ("(c') keywords once, 50 results", once50, "relevant_creators_kept_by_heuristic"),
        ("(b) Maatchaa", b, "relevant_creators_kept_in_strong_or_good"),
    )
    for label, data, kept in runs:
        rows.append(
            [
                label,
                str(data["search_calls"]),
                str(data["distinct_queries"]),
                str(data["units"]),
                str(data["relevant_creators"]),
                str(data[kept]),
                f"{data['relevant_per_search_call']:.3f}",
                data["stopped"][:40],
            ]
        )
    log(table(rows))
    log(
        "  kept: by the original's heuristic (score >= 4, 1,000 views) for the loops; in a strong or good "
        f"fit band for Maatchaa ({b.get('relevant_creators_in_top10', 0)} of its relevant creators are in a top 10)"
    )
    for key, baseline in (
        ("literal", a),
        ("fair", fair),
        ("keywords_once_5", once5),
        ("keywords_once_50", once50),
    ):
        value = ratio(b["relevant_per_search_call"], baseline["relevant_per_search_call"])
        results[f"ratio_per_search_call_vs_{key}"] = round(value, 2) if math.isfinite(value) else "inf"
    results["ratio_relevant_creators_vs_literal"] = (
        round(ratio(b["relevant_creators"], a["relevant_creators"]), 2) if a["relevant_creators"] else "inf"
    )
    log(
        f"=> per search call, Maatchaa finds {ratio(b['relevant_per_search_call'], once5['relevant_per_search_call']):.1f}x "
        f"the relevant creators of the same keywords searched once with 5 results, "
        f"{ratio(b['relevant_per_search_call'], once50['relevant_per_search_call']):.1f}x with 50 results "
        f"(the gain of its queries and ranking alone); against the day-long loops: "
        f"{ratio(b['relevant_per_search_call'], fair['relevant_per_search_call']):.1f}x the fairer one (which repeats "
        f"{fair['search_calls'] - fair['distinct_queries']} of its {fair['search_calls']} searches), "
        f"{ratio(b['relevant_per_search_call'], a['relevant_per_search_call']):.1f}x the literal one"
    )
    path = write_results("quota_efficiency", results)
    log(f"results: {path}")


if __name__ == "__main__":
    main()
