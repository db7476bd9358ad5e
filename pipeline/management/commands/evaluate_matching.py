"""python manage.py evaluate_matching: ranking quality of the real pipeline on a labelled set.

The labelled products are discovered by the real pipeline (queries, search, details, analysis,
matching, creator ranking) against the YouTube emulator serving the corpus, started in this process
with YouTube's default budgets, in a throwaway database created beside the configured one and dropped
afterwards. The settings in force apply, so the figure is what an installation with those settings
delivers. Two baselines are scored on the very same candidates (every video the searches returned):
the original system's keyword heuristic and BM25.

Every text it embeds is kept in VECTOR_CACHE_DIR by model and exact text (maatchaa/lib/vector_cache.py),
outside both databases: the throwaway database starts empty each time, the vectors need not, and the
next evaluation embeds only the texts no earlier one embedded.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import override_settings

from accounts.models import Company
from discovery.models import Video
from emulators.youtube.corpus import CorpusError, load_corpus
from emulators.youtube.server import EmulatorServer
from maatchaa.lib.embedding import get_embedder, set_embedder
from maatchaa.lib.text import product_embedding_text, video_embedding_text
from maatchaa.lib.vector_cache import CachingEmbedder
from matches import evaluation
from matches.models import CreatorMatch
from pipeline.models import DiscoveryRun
from pipeline.runs import create_discovery_run, execute_discovery_run
from pipeline.signals import search_answered
from shopify_app.models import Product

# YouTube's default daily budgets (API_FACTS.md §1.1): the emulator meters exactly these.
YOUTUBE_DEFAULT_SEARCH_CALLS = 100
YOUTUBE_DEFAULT_UNITS = 10_000
TOP_K = 10
PRECISION_K = 5
RELEVANT_GRADE = 2


def load_labels(path: Path) -> evaluation.LabelledSet:
    """The labelled set (shared/eval/README.md format); a broken file is an operator mistake."""
    try:
        return evaluation.load_labels(path)
    except evaluation.LabelsError as exc:
        raise CommandError(str(exc)) from None


@contextlib.contextmanager
def throwaway_database(log: Any) -> Iterator[str]:
    """A fresh database on the configured PostgreSQL server, migrated, then dropped whatever happens.

    Django's own test-database machinery does the create/migrate/drop, on the server the settings
    name (the embedded one, or DATABASE_URL's), so nothing of the real database is touched.
    """
    name = f"maatchaa_eval_{secrets.token_hex(4)}"
    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    old_test = dict(settings_dict.get("TEST") or {})
    settings_dict["TEST"] = {**old_test, "NAME": name}
    connection.close()
    try:
        log(f"Creating throwaway database {name} and migrating it...")
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            yield name
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            log(f"Dropped throwaway database {name}.")
    finally:
        settings_dict["TEST"] = old_test


def _by_best_video(scores: dict[str, float], channel_of: dict[str, str]) -> list[tuple[str, float]]:
    best: dict[str, float] = {}
    for video_id, score in scores.items():
        channel = channel_of[video_id]
        best[channel] = max(score, best.get(channel, float("-inf")))
    order = evaluation.rank_channels_by_best_video(scores, channel_of)
    return [(channel, best[channel]) for channel in order]


def _price(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


class Command(BaseCommand):
    help = (
        "Measure ranking quality: run the real discovery pipeline for a labelled set's products against "
        "the YouTube emulator serving --corpus, in a throwaway database, and print nDCG@10 and P@5 "
        "(grade >= 2) over creators beside the original heuristic and BM25 on the same candidates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--labels", required=True, help="Labelled set (shared/eval/README.md format).")
        parser.add_argument(
            "--corpus", required=True, help="Video corpus CSV the emulator serves (shared/data/youtube/videos.csv)."
        )
        parser.add_argument("--out", help="Write each product's ranked creators here as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] >= 2
        labels = load_labels(Path(options["labels"]))
        corpus_path = Path(options["corpus"])
        if not corpus_path.is_file():
            raise CommandError(f"Corpus file not found: {corpus_path}")
        out_path = Path(options["out"]) if options["out"] else None
        if out_path is not None and not out_path.parent.is_dir():
            raise CommandError(f"Cannot write --out: folder {out_path.parent} does not exist.")
        started = time.monotonic()
        self.stdout.write(f"Loading corpus {corpus_path}...")
        try:
            corpus = load_corpus(corpus_path)
        except (CorpusError, OSError, ValueError) as exc:
            raise CommandError(f"Cannot load corpus {corpus_path}: {exc}") from None
        # Every embedding of the run (products, videos, categories, uploads) goes through the process-wide
        # embedder: wrapped, it answers what an earlier evaluation embedded and keeps what this one adds.
        embedder = CachingEmbedder.over(get_embedder(), root=settings.VECTOR_CACHE_DIR)
        previous = set_embedder(embedder)
        try:
            server = EmulatorServer(
                corpus, search_calls_per_day=YOUTUBE_DEFAULT_SEARCH_CALLS, units_per_day=YOUTUBE_DEFAULT_UNITS
            ).start()
            try:
                with (
                    override_settings(YOUTUBE_API_URL=server.url, YOUTUBE_API_KEY=""),
                    throwaway_database(self.stdout.write),
                ):
                    result = self._evaluate(labels, verbose=verbose)
            finally:
                server.stop()
        finally:
            set_embedder(previous)
            self._keep_vectors(embedder)
        self._report(labels, result, vectors=embedder, seconds=time.monotonic() - started)
        if out_path is not None:
            out = {
                "products": {
                    pid: [{"channel_id": c, "score": round(s, 6)} for c, s in ranked]
                    for pid, ranked in result["ours"].items()
                },
                # What each product's searches returned and stored: the candidates the baselines rank.
                "candidates": result["searched"],
            }
            out_path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
            self.stdout.write(f"Wrote ranked creators to {out_path}")

    def _keep_vectors(self, embedder: CachingEmbedder) -> None:
        """Write what this run embedded to VECTOR_CACHE_DIR (even when it failed half-way); a cache that
        cannot be written costs the next run time, not this run its figures."""
        try:
            embedder.cache.flush()
        except OSError as exc:
            self.stderr.write(f"Could not keep the vectors in {embedder.cache.folder}: {exc}")

    def _evaluate(self, labels: evaluation.LabelledSet, *, verbose: bool) -> dict[str, Any]:
        company = Company.objects.create(name="Evaluation")
        by_label: dict[str, Product] = {}
        for item in labels.products:
            by_label[item.id] = Product.objects.create(
                company=company,
                shopify_id=item.id,
                handle=item.handle[:255],
                title=item.title[:500],
                description=item.description,
                product_type=item.product_type[:255],
                vendor=item.vendor[:255],
                tags=[t[:255] for t in item.tags],
                price=_price(item.price),
                status=Product.Status.ACTIVE,
            )
        # The baselines rank the very videos the pipeline's searches returned for each product; its later
        # queries are learned at run time, and products interleave, so each answer is taken as announced.
        found: dict[int, list[str]] = {}  # product pk -> the video ids its searches returned

        def on_search(sender: Any, *, product: Product, video_ids: list[str], **kwargs: Any) -> None:
            found.setdefault(product.pk, []).extend(video_ids)

        def log(line: str) -> None:
            if verbose:
                self.stdout.write(line)
            else:
                self._progress_only(line)

        totals = {"runs": 0, "search_calls": 0, "cached": 0, "units": 0}
        search_answered.connect(on_search, dispatch_uid="evaluate_matching.on_search", weak=False)
        try:
            # As the worker would: runs of WORKER_PRODUCTS_PER_CYCLE products, each taking products not yet
            # discovered, until all are done or a run makes no progress (a budget is spent).
            while pending := list(
                Product.objects.filter(company=company, last_discovered_at__isnull=True).values_list("pk", flat=True)
            ):
                run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
                # After every product's first searches, the day's calls left go to the weakest products, as the
                # scheduled runs give them over the day (pipeline/deepen.py; DISCOVERY_EXTRA_SEARCHES=false: off).
                run = execute_discovery_run(
                    run_id=run.pk, log=log, product_ids=pending, extra_searches=settings.DISCOVERY_EXTRA_SEARCHES
                )
                totals["runs"] += 1
                totals["search_calls"] += run.search_calls
                totals["cached"] += run.cached_searches
                totals["units"] += run.units
                self.stdout.write(f"Run #{totals['runs']} {run.status}: {run.message}")
                if run.status != DiscoveryRun.Status.SUCCEEDED or run.products_done == 0:
                    break
        finally:
            search_answered.disconnect(dispatch_uid="evaluate_matching.on_search")

        ours: dict[str, list[tuple[str, float]]] = {}
        heuristic: dict[str, list[tuple[str, float]]] = {}
        bm25: dict[str, list[tuple[str, float]]] = {}
        candidates: dict[str, int] = {}
        searched: dict[str, list[str]] = {}
        reachable: dict[str, set[str]] = {}
        for label_id, product in by_label.items():
            ours[label_id] = list(
                CreatorMatch.objects.filter(product=product).order_by("rank").values_list("channel_id", "score")
            )
            videos = list(Video.objects.filter(video_id__in=set(found.get(product.pk, []))))
            candidates[label_id] = len(videos)
            searched[label_id] = sorted(v.video_id for v in videos)
            reachable[label_id] = {v.channel_id for v in videos}
            channel_of = {v.video_id: v.channel_id for v in videos}
            # The original searched "<title> review" and scored each video by its keyword rules.
            heuristic_scores = {
                v.video_id: evaluation.original_heuristic_score(
                    keyword=f"{product.title} review",
                    product_title=product.title,
                    video_title=v.title,
                    video_description=v.description,
                )
                for v in videos
            }
            heuristic[label_id] = _by_best_video(heuristic_scores, channel_of)
            documents = [evaluation.tokenize(video_embedding_text(v.as_text())) for v in videos]
            query = evaluation.tokenize(product_embedding_text(product.as_text()))
            bm25_scores: Iterable[float] = evaluation.BM25(documents).scores(query) if videos else []
            bm25[label_id] = _by_best_video(
                {v.video_id: float(score) for v, score in zip(videos, bm25_scores, strict=True)}, channel_of
            )
        return {
            "ours": ours,
            "heuristic": heuristic,
            "bm25": bm25,
            "candidates": candidates,
            "searched": searched,
            "reachable": reachable,
            "totals": totals,
        }

    def _progress_only(self, line: str) -> None:
        if line.startswith("🎯") or "⛔" in line or "⚠️" in line:
            self.stdout.write(line)

    def _metrics(
        self, labels: evaluation.LabelledSet, ranked: dict[str, list[tuple[str, float]]]
    ) -> tuple[float, float]:
        ndcgs, precisions = [], []
        for item in labels.products:
            grades = labels.creator_qrels.get(item.id, {})
            channels = [c for c, _ in ranked.get(item.id, [])]
            ndcgs.append(evaluation.ndcg_at_k(channels, grades, k=TOP_K))
            precisions.append(evaluation.precision_at_k(channels, grades, k=PRECISION_K, min_grade=RELEVANT_GRADE))
        return sum(ndcgs) / len(ndcgs), sum(precisions) / len(precisions)

    def _report(
        self, labels: evaluation.LabelledSet, result: dict[str, Any], *, vectors: CachingEmbedder, seconds: float
    ) -> None:
        totals = result["totals"]
        qrels = labels.creator_qrels
        ceiling = {
            pid: sorted(
                ((c, float(g)) for c, g in qrels.get(pid, {}).items() if c in result["reachable"][pid]),
                key=lambda p: -p[1],
            )
            for pid in result["ours"]
        }
        n = len(labels.products)
        mean_candidates = sum(result["candidates"].values()) / max(1, n)
        self.stdout.write(
            f"\n{n} labelled products; {totals['runs']} discovery runs, {totals['search_calls']} search calls, "
            f"{totals['cached']} answered from storage, {totals['units']} units; "
            f"{mean_candidates:.0f} candidate videos per product on average; {seconds:.0f} s."
        )
        self.stdout.write(
            f"Vectors: {vectors.embedded} texts embedded, {vectors.reused} reused "
            f"({vectors.cache.loaded} kept from earlier runs in {vectors.cache.folder})."
        )
        self.stdout.write(f"\n{'method':<42} {'nDCG@10':>8} {'P@5':>6}")
        rows = [
            ("maatchaa (pipeline, creators as stored)", result["ours"]),
            ("original keyword heuristic (same candidates)", result["heuristic"]),
            ("BM25 (same candidates)", result["bm25"]),
            ("ceiling: perfect order of the candidates", ceiling),
        ]
        for name, ranked in rows:
            ndcg, precision = self._metrics(labels, ranked)
            self.stdout.write(f"{name:<42} {ndcg:>8.3f} {precision:>6.3f}")
