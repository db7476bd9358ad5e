"""Issue #14 lever 2 on the demo store: the search calls left in the day go to the products whose creators
look weakest, with queries they did not ask, never over the run's budget, the day or the company's share."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import Company
from discovery import quota
from discovery.models import CompanyQuotaDay
from discovery.queries import normalize_query
from matches.models import CreatorMatch, Match
from pipeline import deepen
from pipeline.discover import discover_products, product_searches
from pipeline.models import DiscoveryRun
from pipeline.runs import create_discovery_run, execute_discovery_run
from pipeline.tests.pipeline_support import DEMO_CATALOG, demo_product
from shopify_app.models import Product

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CATALOG = DEMO_CATALOG
LABELS = json.loads((ROOT / "discovery" / "fixtures" / "demo" / "labels.json").read_text())
TITLES = [n["title"] for n in CATALOG if n["id"] in LABELS["creator_qrels"]][:4]


def _store(name: str = "Juniper & Pine Co.", titles: list[str] = TITLES) -> tuple[Company, list[Product]]:
    company = Company.objects.create(name=name)
    products = [
        demo_product(company, node, shopify_id=f"{node['id']}-{name[:3]}")
        for node in CATALOG
        if node["title"] in titles
    ]
    return company, products


def _searches(server) -> list[tuple[str, str]]:
    return [(normalize_query(c.params["q"]), c.params.get("videoCategoryId", "")) for c in server.calls_to("search")]


def _company_calls(company: Company) -> int:
    row = CompanyQuotaDay.objects.filter(company=company, day=quota.pacific_day()).first()
    return row.search_calls if row else 0


def test_the_days_calls_left_go_to_the_weakest_product_with_queries_it_never_asked(youtube_emulator, settings):
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 14
    settings.DISCOVERY_EXTRA_SEARCH_RESERVE = 2
    company, products = _store()
    discover_products(run=None, products=products)  # every product's first searches
    first = _searches(youtube_emulator)
    assert len(first) == 2 * len(products)
    weakest = min(products, key=lambda p: (deepen.weakness_score(p), p.pk))
    lines: list[str] = []

    tally = discover_products(run=None, products=products, extra_searches=True, log=lines.append)

    extra = _searches(youtube_emulator)[len(first) :]
    # 14 a day, 8 spent, 2 kept for products added later: 4 extra searches, all of them new questions.
    assert tally.search_calls == len(extra) == 4
    assert not set(extra) & set(first) and len(set(extra)) == len(extra)
    assert _company_calls(company) == 12 <= settings.YOUTUBE_DAILY_SEARCH_CALLS - 2
    extra_part = lines[next(i for i, line in enumerate(lines) if line.startswith("\n➕ Extra searches")) :]
    assert extra_part[1] == f"🎯 Processing: {weakest.title}"
    # What the extra searches found is ranked: some stored match was found by an extra query only.
    extra_queries = [line.split("'")[1] for line in extra_part if "Searching YouTube" in line]
    found_by_extra = [
        m for m in Match.objects.filter(product__company=company) if set(m.evidence["queries"]) & set(extra_queries)
    ]
    assert found_by_extra
    assert CreatorMatch.objects.filter(product__company=company, channel__videos__in=[m.video for m in found_by_extra])


def test_extra_searches_stay_within_the_runs_budget(youtube_emulator, settings):
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    company, products = _store()
    discover_products(run=None, products=products)
    before = len(youtube_emulator.calls_to("search"))

    tally = discover_products(run=None, products=products, extra_searches=True, search_call_limit=3)

    assert tally.search_calls == 3 == len(youtube_emulator.calls_to("search")) - before
    assert not tally.stopped  # the extra searches stop at the budget; nothing was refused


def test_extra_searches_stay_within_the_companys_fair_share(youtube_emulator, settings):
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 22  # two companies: 11 each
    settings.DISCOVERY_EXTRA_SEARCH_RESERVE = 0
    _store("Other Shop", TITLES[:1])
    company, products = _store()
    discover_products(run=None, products=products)
    assert _company_calls(company) == 8

    discover_products(run=None, products=products, extra_searches=True)

    # 3 left of its share of 11, although the day has 14 left.
    assert _company_calls(company) == 11 == len(youtube_emulator.calls_to("search"))


def test_no_extra_search_while_a_product_waits_for_its_first_searches(youtube_emulator, settings):
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    company, products = _store()
    discover_products(run=None, products=products[:2])

    tally = discover_products(run=None, products=products[:2], extra_searches=True)

    assert tally.search_calls == 0  # the two others take the calls first
    assert deepen.products_to_deepen(company=company) == []


def test_scheduled_runs_make_extra_searches_and_manual_runs_do_not(youtube_emulator, settings):
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    company, products = _store(titles=TITLES[:2])
    discover_products(run=None, products=products)
    manual, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    manual = execute_discovery_run(run_id=manual.pk, search_call_limit=5)
    assert manual.search_calls == 0  # answered from storage: nothing else was asked

    scheduled, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.SCHEDULE)
    scheduled = execute_discovery_run(run_id=scheduled.pk, search_call_limit=2)

    assert scheduled.status == DiscoveryRun.Status.SUCCEEDED
    assert scheduled.search_calls == 2 == len(youtube_emulator.calls_to("search")) - 4


def test_the_dry_run_shows_the_extra_searches_within_the_share(youtube_emulator, settings):
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 13
    settings.DISCOVERY_EXTRA_SEARCH_RESERVE = 2
    company, products = _store()
    discover_products(run=None, products=products)
    before = len(youtube_emulator.calls)
    out = StringIO()

    call_command("run_discovery", "--dry-run", "--company", str(company.pk), stdout=out)

    text = out.getvalue()
    assert "Extra searches: up to 3 search calls" in text
    planned = [line for line in text.splitlines() if line.startswith("   ➕ ")]
    assert len(planned) == 3
    weakest = min(products, key=lambda p: (deepen.weakness_score(p), p.pk))
    assert weakest.title in planned[0]
    asked = {str(s) for p in products for s in product_searches(p)[:2]}
    assert not any(f"'{q}'" in planned[0] for q in asked)
    assert len(youtube_emulator.calls) == before  # nothing spent
