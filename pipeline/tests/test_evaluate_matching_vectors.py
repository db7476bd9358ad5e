"""evaluate_matching embeds nothing twice: a second evaluation of the same labels and corpus reuses the
first one's vectors (VECTOR_CACHE_DIR), and still runs in a throwaway database of its own."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Company
from discovery.models import Video
from maatchaa.lib.embedding import get_embedder, set_embedder
from pipeline.tests.pipeline_support import video_row, write_corpus
from pipeline.tests.test_commands import cork_rows, run, tiny_labels

VECTORS = re.compile(r"^Vectors: (\d+) texts embedded, (\d+) reused \((\d+) kept from earlier runs in (.+)\)\.$")


def vectors_line(output: str) -> tuple[int, int, int, str]:
    found = [VECTORS.match(line) for line in output.splitlines()]
    match = next(m for m in found if m)
    return int(match[1]), int(match[2]), int(match[3]), match[4]


def metric_lines(output: str) -> list[str]:
    heads = ("maatchaa", "original keyword heuristic", "BM25", "ceiling")
    return [line for line in output.splitlines() if line.startswith(heads)]


@pytest.mark.django_db(transaction=True)
def test_a_second_evaluation_embeds_nothing_and_scores_the_same(tmp_path, settings):
    corpus = write_corpus(tmp_path, cork_rows())
    labels = tiny_labels(tmp_path / "labels.json")
    args = ["evaluate_matching", "--labels", str(labels), "--corpus", str(corpus)]

    first = run(*args, "--out", str(tmp_path / "first.json"))
    second = run(*args, "--out", str(tmp_path / "second.json"))

    embedded, reused, kept, folder = vectors_line(first)
    assert embedded > 0 and kept == 0
    again_embedded, again_reused, again_kept, again_folder = vectors_line(second)
    assert again_embedded == 0
    # Every text the first embedded was kept; the categories' texts this process remembers on its own.
    assert again_kept == embedded and again_reused > 0
    assert folder == again_folder and folder.startswith(str(settings.VECTOR_CACHE_DIR))
    # The same vectors to the last bit: the same rankings, scores and figures.
    assert metric_lines(first) and metric_lines(second) == metric_lines(first)
    assert (tmp_path / "second.json").read_text() == (tmp_path / "first.json").read_text()
    # Two throwaway databases, both dropped: the configured one holds nothing of either.
    throwaways = [out.split("Creating throwaway database ")[1].split()[0] for out in (first, second)]
    assert throwaways[0] != throwaways[1]
    assert not Company.objects.exists() and not Video.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = ANY(%s)", [throwaways])
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_an_evaluation_of_a_changed_product_embeds_only_its_new_texts(tmp_path):
    corpus = write_corpus(tmp_path, cork_rows())
    labels = tiny_labels(tmp_path / "labels.json")
    args = ["evaluate_matching", "--labels", str(labels), "--corpus", str(corpus)]
    embedded = vectors_line(run(*args))[0]

    changed = json.loads(labels.read_text())
    changed["products"][0]["description"] = "A natural cork yoga mat with a grippy, sweat-proof surface."
    labels.write_text(json.dumps(changed))
    again = vectors_line(run(*args))

    # The product's full-text view changed; its type-and-tags view and every video's views did not.
    assert again[0] == 1
    assert again[2] == embedded


class SlowEmbedder:
    """The real model, a quarter of a second slower a call: a product's vectors are not ready when it
    would go on, so the next product starts meanwhile, as on a loaded machine."""

    def __init__(self) -> None:
        self.inner = get_embedder()
        self.model_name = self.inner.model_name
        self.fingerprint = getattr(self.inner, "fingerprint", self.model_name)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(0.25)
        return self.inner.embed(texts)


WHISK = "Bamboo Matcha Whisk"


@pytest.mark.django_db(transaction=True)
def test_each_products_baselines_rank_its_own_searches_when_products_interleave(tmp_path):
    tea = [
        video_row(f"whisk{i:07d}", f"UCmatchaTeaHouse{i % 2:08d}", f"Bamboo matcha whisk (chasen) tea ceremony, part {i}",
                  description="Whisking ceremonial matcha with a bamboo chasen.", tags=("matcha", "whisk", "tea"))
        for i in range(4)
    ]  # fmt: skip
    corpus = write_corpus(tmp_path, [*cork_rows(), *tea])
    labels = json.loads(tiny_labels(tmp_path / "labels.json").read_text())
    labels["products"].append(
        {"id": "p2", "handle": "whisk", "title": WHISK, "description": "A bamboo chasen for matcha.",
         "product_type": "Matcha Whisk", "vendor": "Test", "tags": ["matcha", "tea"], "price": "19.00"}
    )  # fmt: skip
    labels["creator_qrels"]["p2"] = {"UCmatchaTeaHouse00000000": 3}
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    out = StringIO()
    previous = set_embedder(SlowEmbedder())
    try:
        call_command(
            "evaluate_matching", "--labels", str(tmp_path / "labels.json"), "--corpus", str(corpus),
            "--out", str(tmp_path / "ranked.json"), verbosity=2, stdout=out,
        )  # fmt: skip
    finally:
        set_embedder(previous)

    lines = out.getvalue().splitlines()
    # The products did interleave: the cork mat searched again after the whisk had started.
    whisk_started = lines.index(f"🎯 Processing: {WHISK}")
    cork_searches = [i for i, line in enumerate(lines) if "Searching YouTube" in line and "cork" in line.lower()]
    assert cork_searches[0] < whisk_started < cork_searches[-1]
    # Each product's candidates are what its own searches returned, whatever the log's order.
    candidates = json.loads((tmp_path / "ranked.json").read_text())["candidates"]
    assert candidates["gid://shopify/Product/1"] and set(candidates["gid://shopify/Product/1"]) <= {
        row["video_id"] for row in cork_rows()
    }
    assert set(candidates["p2"]) == {row["video_id"] for row in tea}
