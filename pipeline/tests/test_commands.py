"""run_discovery, evaluate_matching and demo, run as an operator runs them."""

from __future__ import annotations

import csv
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Company
from discovery.models import QuotaDay, SearchQuery
from matches.models import CreatorMatch, Match
from pipeline.discover import product_searches
from pipeline.models import DiscoveryRun
from pipeline.tests.pipeline_support import make_company, make_product, video_row, write_corpus
from shopify_app.models import Product

CORK = "Natural Cork Yoga Mat"


def cork_rows() -> list[dict[str, str]]:
    return [
        video_row("corkmat00001", "UCcorkYogaReviews0000001", "Natural cork yoga mat review: grip when sweaty",
                  description="I tested a natural cork yoga mat for a month of hot yoga.", tags=("yoga mat", "cork")),
        video_row("corkmat00002", "UCcorkYogaReviews0000001", "Cork vs rubber yoga mat: which one should you buy?",
                  tags=("yoga", "yoga mat")),
        video_row("corkboard001", "UCcorkBoardCrafts0000001", "DIY cork board from wine corks",
                  description="Turn old wine corks into a pin board for your office.", tags=("diy", "cork")),
    ]  # fmt: skip


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for):
    return youtube_emulator_for(write_corpus(tmp_path, cork_rows()))


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_run_discovery_runs_end_to_end_and_prints_a_summary(emulator):
    company = make_company("Juniper Test")
    product = make_product(company, CORK)

    output = run("run_discovery", "--company", "juniper test")

    assert f"🎯 Processing: {CORK}" in output
    assert "Summary: 1 products" in output and "searches" in output and "units" in output
    assert "matches" in output and "videos" in output
    run_row = DiscoveryRun.objects.get(company=company)
    assert run_row.trigger == DiscoveryRun.Trigger.MANUAL and run_row.status == DiscoveryRun.Status.SUCCEEDED
    assert CreatorMatch.objects.filter(product=product, rank=1, channel_id="UCcorkYogaReviews0000001").exists()


@pytest.mark.django_db
def test_run_discovery_takes_only_the_products_asked_for(emulator):
    company = make_company()
    wanted = make_product(company, CORK)
    other = make_product(company, "Cork Board")

    run("run_discovery", "--product", str(wanted.pk))

    assert Match.objects.filter(product=wanted).exists()
    assert not Match.objects.filter(product=other).exists()


@pytest.mark.django_db
def test_a_dry_run_prints_the_plan_and_spends_nothing(emulator):
    company = make_company()
    product = make_product(company, CORK)

    output = run("run_discovery", "--company", str(company.pk), "--dry-run")

    for search in product_searches(product):
        where = f" in {search.category_name}" if search.category_id else ""
        assert f"'{search.query}'{where}: 1 search call" in output
    assert f"Dry run: {len(product_searches(product))} search calls" in output and "units" in output
    assert emulator.calls == []
    assert not QuotaDay.objects.exists() and not SearchQuery.objects.exists()
    assert not DiscoveryRun.objects.exists()


@pytest.mark.django_db
def test_a_dry_run_says_which_searches_storage_would_answer(emulator):
    company = make_company()
    product = make_product(company, CORK)
    run("run_discovery", "--company", str(company.pk))
    calls = len(emulator.calls)

    output = run("run_discovery", "--company", str(company.pk), "--dry-run")

    assert "answered from storage" in output and "Dry run: 0 search calls" in output
    assert len(emulator.calls) == calls
    assert product.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--company", "No Such Brand"], "No company"),
        (["--product", "999999"], "No product with id 999999"),
        (["--limit", "0"], "--limit must be at least 1"),
    ],
)
def test_run_discovery_refuses_bad_arguments(args, message):
    make_product(make_company(), CORK)
    with pytest.raises(CommandError, match=message):
        run("run_discovery", *args)


@pytest.mark.django_db
def test_run_discovery_on_an_empty_installation_says_it_is_waiting_for_stores(emulator):
    output = run("run_discovery")

    assert "No products found in database" in output and "Waiting for companies to connect Shopify stores" in output
    assert emulator.calls == [] and not DiscoveryRun.objects.exists()


@pytest.mark.django_db
def test_run_discovery_refuses_a_draft_product():
    draft = make_product(make_company(), CORK, status=Product.Status.DRAFT)
    with pytest.raises(CommandError, match="Only ACTIVE products"):
        run("run_discovery", "--product", str(draft.pk))


def tiny_labels(path):
    labels = {
        "name": "tiny",
        "corpus": "videos.csv",
        "grades": {"3": "ideal", "0": "unrelated"},
        "products": [
            {"id": "gid://shopify/Product/1", "handle": "cork-mat", "title": CORK, "description": "A cork yoga mat.",
             "product_type": "Yoga Mat", "vendor": "Test", "tags": ["yoga", "cork"], "price": "79.00"},
        ],
        "video_qrels": {"gid://shopify/Product/1": {"corkmat00001": 3, "corkboard001": 0}},
        "creator_qrels": {"gid://shopify/Product/1": {"UCcorkYogaReviews0000001": 3, "UCcorkBoardCrafts0000001": 0}},
    }  # fmt: skip
    path.write_text(json.dumps(labels))
    return path


@pytest.mark.django_db(transaction=True)
def test_evaluate_matching_scores_a_known_answer_in_a_throwaway_database(tmp_path):
    corpus = write_corpus(tmp_path, cork_rows())
    labels = tiny_labels(tmp_path / "labels.json")
    out = tmp_path / "ranked.json"
    database = connection.settings_dict["NAME"]

    output = run("evaluate_matching", "--labels", str(labels), "--corpus", str(corpus), "--out", str(out))

    throwaway = output.split("Creating throwaway database ")[1].split()[0]

    line = next(line for line in output.splitlines() if line.startswith("maatchaa"))
    assert line.split()[-2:] == ["1.000", "0.200"]  # the right creator first; 1 relevant creator of 5
    bm25 = next(line for line in output.splitlines() if line.startswith("BM25"))
    assert float(bm25.split()[-2]) > 0  # the baselines rank the same candidates the searches returned
    assert any(line.startswith("original keyword heuristic") for line in output.splitlines())
    ranked = json.loads(out.read_text())["products"]["gid://shopify/Product/1"]
    assert ranked[0]["channel_id"] == "UCcorkYogaReviews0000001" and isinstance(ranked[0]["score"], float)
    # It ran in its own database, dropped afterwards: ours holds nothing of it.
    assert connection.settings_dict["NAME"] == database
    assert not Company.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [throwaway])
        assert cursor.fetchone()[0] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"products": []}', "no 'products'"),
        ('{"products": [{"id": "p1", "title": "X"}]}', "no 'creator_qrels'"),
        ('{"products": [{"id": "p1", "title": "X"}], "creator_qrels": {"p1": {"UC1": 7}}}', "grades are integers"),
    ],
)
def test_evaluate_matching_refuses_a_broken_labels_file(tmp_path, content, message):
    labels = tmp_path / "labels.json"
    labels.write_text(content)
    corpus = write_corpus(tmp_path, cork_rows())
    with pytest.raises(CommandError, match=message):
        run("evaluate_matching", "--labels", str(labels), "--corpus", str(corpus))


@pytest.mark.django_db
def test_evaluate_matching_refuses_a_missing_corpus(tmp_path):
    labels = tiny_labels(tmp_path / "labels.json")
    with pytest.raises(CommandError, match="Corpus file not found"):
        run("evaluate_matching", "--labels", str(labels), "--corpus", str(tmp_path / "nope.csv"))


@pytest.mark.django_db
def test_demo_shows_each_products_creators_and_can_run_twice(tmp_path):
    # The demo's catalog and corpus, cut to two products so the test stays fast.
    from pipeline.management.commands import demo

    catalog = json.loads(demo.CATALOG.read_text())
    catalog["products"] = [p for p in catalog["products"] if p["title"] in (
        "Ceremonial Matcha Whisk Set", "Natural Cork Yoga Mat")]  # fmt: skip
    small = tmp_path / "catalog.json"
    small.write_text(json.dumps(catalog))
    with demo.CORPUS.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if re.search(r"matcha|cork|yoga|tea", r["title"], re.I)]
    corpus = write_corpus(tmp_path, rows)

    first = run("demo", "--catalog", str(small), "--corpus", str(corpus))
    second = run("demo", "--catalog", str(small), "--corpus", str(corpus))

    company = Company.objects.get(name=demo.DEMO_COMPANY)
    assert company.own_channel_ids == demo.DEMO_OWN_CHANNELS
    assert Product.objects.filter(company=company).count() == 2
    for output in (first, second):
        assert "Top creators per product" in output and demo.DEMO_EMAIL in output
        assert "Ceremonial Matcha Whisk Set" in output and " 1. " in output
    assert "answered from storage" in second and "Summary: 2 products, 0 searches" in second
    assert not CreatorMatch.objects.filter(channel_id__in=demo.DEMO_OWN_CHANNELS).exists()
    assert Match.objects.count() == len({(m.product_id, m.video_id) for m in Match.objects.all()})
