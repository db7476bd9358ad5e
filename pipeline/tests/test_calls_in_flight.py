"""A run's YouTube calls in flight at once (YOUTUBE_CALLS_IN_FLIGHT): more than one goes out together, and the
quota ledger still holds, call for call, what reached YouTube.

The emulator's `gather` holds the first k requests until k are being served together, so a test shows k calls
in flight whatever the machine's load; `fail_queries` fails one product's searches whatever order concurrent
calls arrive in. Asserted: the emulator's call log and the most requests it served at once, the ledger's rows,
the run's counters and what was stored.
"""

from __future__ import annotations

import threading

import pytest
from django.db.backends.base.base import BaseDatabaseWrapper

from discovery.models import CompanyQuotaDay, QuotaDay, SearchQuery, Video
from discovery.youtube import get_client
from matches.models import CreatorMatch
from pipeline.discover import discover_products, product_searches
from pipeline.models import DiscoveryRun
from pipeline.runs import create_discovery_run, execute_discovery_run
from pipeline.tests.pipeline_support import (
    calls_to,
    make_company,
    make_product,
    make_shop_company,
    video_row,
    write_corpus,
)
from shopify_app.models import Product, Shop

pytestmark = pytest.mark.django_db

TITLES = ["Cork Yoga Mat", "Camping Hammock", "Dog Harness"]


def no_sleep(seconds: float) -> None:
    """The client's backoff between retries (up to seconds each): not worth waiting for in a test."""


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for, settings):
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    settings.CREATOR_FOCUS_TOP = 2
    rows = []
    for n, title in enumerate(TITLES):
        for i in range(4):
            rows.append(video_row(f"v{n}{i:09d}", f"UCniche{n}{i % 2:015d}", f"{title} review and tips {i}"))
    return youtube_emulator_for(write_corpus(tmp_path, rows))


@pytest.fixture
def company():
    return make_shop_company(TITLES)


def ledger_matches_youtube(emulator, company) -> QuotaDay:
    """The ledger recorded exactly the requests that reached YouTube, retries and failures included."""
    day = QuotaDay.objects.get()
    reached = emulator.calls
    assert day.search_calls == sum(1 for call in reached if call.resource == "search")
    assert day.units == sum(1 for call in reached if call.resource != "search")
    by_company = CompanyQuotaDay.objects.get(company=company)
    assert (by_company.search_calls, by_company.units) == (day.search_calls, day.units)
    return day


@pytest.fixture
def database_threads(monkeypatch):
    """The names of the threads that used a database connection (Django's own method, watched, not replaced)."""
    names: set[str] = set()
    ensure_connection = BaseDatabaseWrapper.ensure_connection

    def watched(connection: BaseDatabaseWrapper) -> None:
        names.add(threading.current_thread().name)
        ensure_connection(connection)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", watched)
    return names


@pytest.mark.parametrize("in_flight", [1, 4])
def test_a_run_spends_and_stores_the_same_with_one_call_or_several_in_flight(
    company, emulator, settings, in_flight, database_threads
):
    settings.YOUTUBE_CALLS_IN_FLIGHT = in_flight
    if in_flight > 1:
        # The three products' first searches are held until all three are being served at once.
        emulator.configure(gather=3)

    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    run = execute_discovery_run(run_id=run.pk)

    # The workers send HTTP requests only: every ledger entry and query is the run's own thread's.
    assert database_threads == {threading.current_thread().name}

    assert run.status == DiscoveryRun.Status.SUCCEEDED and run.products_done == 3
    if in_flight == 1:
        assert emulator.most_in_flight == 1
    else:
        assert emulator.most_in_flight >= 3
    # Each product's two searches, one videos.list and one channels.list per search that found new videos,
    # and its top two creators' uploads: the same calls whatever the concurrency.
    assert len(calls_to(emulator, "search")) == run.search_calls == 6
    assert len(calls_to(emulator, "videos")) == len(calls_to(emulator, "channels")) == 3
    assert len(calls_to(emulator, "playlistItems")) == 6
    day = ledger_matches_youtube(emulator, company)
    assert (day.search_calls, day.units) == (run.search_calls, run.units) == (6, 12)
    assert Video.objects.count() == 12 and SearchQuery.objects.count() == 6
    for product in Product.objects.filter(company=company):
        top = list(CreatorMatch.objects.filter(product=product).order_by("rank").values_list("channel_id", flat=True))
        assert len(top) == 2 and all(channel.startswith(f"UCniche{TITLES.index(product.title)}") for channel in top)


def test_a_workers_retries_are_recorded_in_the_ledger_before_they_are_sent(company, emulator, settings):
    settings.YOUTUBE_CALLS_IN_FLIGHT = 4
    settings.YOUTUBE_NUM_RETRIES = 3
    emulator.configure(gather=3, fail_next=[503, 500, 503, 500])  # the first calls each fail before they succeed

    tally = discover_products(
        run=None,
        products=list(Product.objects.filter(company=company)),
        client=get_client(company=company, sleep=no_sleep),
    )

    assert tally.products_done == 3 and tally.failed_calls == 0
    failed = [call for call in emulator.calls if call.status != 200]
    assert len(failed) == 4
    day = ledger_matches_youtube(emulator, company)
    # The run counts calls; the ledger counts what was sent: the four retried tries on top.
    assert day.search_calls + day.units == tally.search_calls + tally.units + 4


def test_the_days_search_bucket_is_never_overspent_with_calls_in_flight(company, emulator, settings):
    settings.YOUTUBE_CALLS_IN_FLIGHT = 4
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 4  # two products' searches: the ledger refuses the fifth
    products = list(Product.objects.filter(company=company))

    tally = discover_products(run=None, products=products)  # no run budget: only the ledger says no

    assert len(calls_to(emulator, "search")) == tally.search_calls == 4
    assert ledger_matches_youtube(emulator, company).search_calls == 4
    assert tally.stopped and "YOUTUBE_DAILY_SEARCH_CALLS" in tally.stopped_reason


def test_a_run_budget_counts_the_calls_in_flight(company, emulator, settings):
    settings.YOUTUBE_CALLS_IN_FLIGHT = 4
    products = list(Product.objects.filter(company=company))

    tally = discover_products(run=None, products=products, search_call_limit=3, unit_limit=5)

    assert len(calls_to(emulator, "search")) == tally.search_calls <= 3
    assert len(emulator.calls) - len(calls_to(emulator, "search")) == tally.units <= 5
    ledger_matches_youtube(emulator, company)
    assert tally.stopped


def test_quota_exceeded_on_a_worker_opens_the_breaker_and_stops_the_run(company, emulator, settings):
    settings.YOUTUBE_CALLS_IN_FLIGHT = 4
    emulator.configure(search_calls_per_day=2)  # YouTube's own quota: the third search is refused

    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    run = execute_discovery_run(run_id=run.pk)

    day = ledger_matches_youtube(emulator, company)
    assert day.breaker_open_until is not None and "quotaExceeded" in run.message
    refused = [call for call in calls_to(emulator, "search") if call.reason == "quotaExceeded"]
    assert refused
    # Nothing is sent once the breaker is open: the calls after the first refusal were in flight beside it.
    first = emulator.calls.index(refused[0])
    assert len(emulator.calls) - first <= settings.YOUTUBE_CALLS_IN_FLIGHT


def test_one_products_failed_searches_are_not_counted_against_another_in_flight_beside_it(
    tmp_path, youtube_emulator_for, settings
):
    settings.YOUTUBE_CALLS_IN_FLIGHT = 4
    settings.YOUTUBE_NUM_RETRIES = 0
    settings.WORKER_KEYWORDS_PER_PRODUCT = 3
    emulator = youtube_emulator_for(
        write_corpus(
            tmp_path, [video_row(f"v0{i:09d}", f"UCniche0{i:015d}", f"Cork yoga mat review {i}") for i in range(3)]
        )
    )
    company = make_company()
    shop = Shop.objects.create(company=company, domain="acme.myshopify.com", status=Shop.Status.ACTIVE)
    failing = make_product(company, "Cork Yoga Mat", shop=shop, product_type="Yoga Mat")
    # Its searches find nothing in this corpus: YouTube answers, with no videos.
    quiet = make_product(company, "Quill Inkwell", shop=shop, product_type="Inkwell", tags=["quill", "calligraphy"])
    emulator.configure(fail_queries=[search.query for search in product_searches(failing)], gather=2)

    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    run = execute_discovery_run(run_id=run.pk)

    # Both products' first searches were in flight together, so the quiet product was in flight while the
    # failing one's answers came back.
    assert emulator.most_in_flight >= 2
    failed = [call for call in calls_to(emulator, "search") if call.status == 503]
    assert failed and all("yoga" in call.params["q"].lower() for call in failed)
    assert run.status == DiscoveryRun.Status.PARTIAL
    assert run.products_done == 1 and "1 of 2" in run.message
    quiet.refresh_from_db()
    failing.refresh_from_db()
    assert quiet.last_discovered_at is not None and failing.last_discovered_at is None
    assert run.errors and all(error.startswith("Cork Yoga Mat: ") for error in run.errors)
    ledger_matches_youtube(emulator, company)


def test_videos_another_product_failed_to_fetch_are_asked_for_again_by_the_product_waiting_for_them(
    tmp_path, youtube_emulator_for, settings
):
    settings.YOUTUBE_CALLS_IN_FLIGHT = 4
    settings.YOUTUBE_NUM_RETRIES = 0
    settings.WORKER_KEYWORDS_PER_PRODUCT = 1
    rows = [video_row(f"v0{i:09d}", f"UCniche0{i:015d}", f"Cork yoga mat review {i}") for i in range(3)]
    emulator = youtube_emulator_for(write_corpus(tmp_path, rows))
    company = make_company()
    shop = Shop.objects.create(company=company, domain="acme.myshopify.com", status=Shop.Status.ACTIVE)
    # Two products asking the same search: the second waits for the first's answer, then for its videos.
    first = make_product(company, "Cork Yoga Mat", shop=shop, product_type="Yoga Mat")
    second = make_product(company, "Cork Yoga Mat", shop=shop, product_type="Yoga Mat")
    emulator.configure(fail_ids=[row["video_id"] for row in rows])

    tally = discover_products(run=None, products=[first, second])

    assert len(calls_to(emulator, "search")) == tally.search_calls == 1 and tally.cached_searches == 1
    # The first product's videos.list failed; the second, which was waiting for it, asked for itself.
    lists = calls_to(emulator, "videos")
    assert [call.status for call in lists] == [503, 503]
    assert tally.products_failed == 2 and tally.products_done == 0
    assert tally.errors == [f"Cork Yoga Mat: video details failed: {tally.last_failure}"] * 2
    assert not Video.objects.exists()


def test_a_channels_uploads_another_product_is_reading_are_read_once(tmp_path, youtube_emulator_for, settings):
    settings.YOUTUBE_CALLS_IN_FLIGHT = 4
    settings.WORKER_KEYWORDS_PER_PRODUCT = 1
    settings.CREATOR_FOCUS_TOP = 3
    rows = [video_row(f"v0{i:09d}", f"UCniche0{i % 3:015d}", f"Cork yoga mat review {i}") for i in range(6)]
    emulator = youtube_emulator_for(write_corpus(tmp_path, rows))
    company = make_company()
    # The same search for both: the same three creators top both lists, and their uploads are wanted twice.
    products = [make_product(company, "Cork Yoga Mat", product_type="Yoga Mat") for _ in range(2)]

    tally = discover_products(run=None, products=products)

    assert tally.products_done == 2
    reads = [call.params["playlistId"] for call in calls_to(emulator, "playlistItems")]
    assert sorted(reads) == sorted(set(reads)) and len(reads) == 3
    assert tally.units == len(emulator.calls) - len(calls_to(emulator, "search"))
    for product in products:
        focus = [match.evidence.get("focus") for match in CreatorMatch.objects.filter(product=product)]
        assert len(focus) == 3 and all(focus)
