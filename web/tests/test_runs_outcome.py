"""A run YouTube failed in part shows as partial on the runs page and in the API, with what YouTube answered."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from pipeline.models import DiscoveryRun
from pipeline.runs import create_discovery_run, execute_discovery_run
from pipeline.tests.pipeline_support import video_row, write_corpus
from shopify_app.models import Shop
from web.tests.dashboard_data import fast_hashing, make_member, make_product

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)

TITLES = ["Cork Yoga Mat", "Camping Hammock"]


@pytest.fixture
def partial_run(db, tmp_path, youtube_emulator_for, settings):
    settings.YOUTUBE_NUM_RETRIES = 0
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    rows = [
        video_row(f"v{n}{i:09d}", f"UCniche{n}{i:015d}", f"{t} review {i}")
        for n, t in enumerate(TITLES)
        for i in range(2)
    ]
    emulator = youtube_emulator_for(write_corpus(tmp_path, rows))
    user, company = make_member("ana@acme.test", "Acme Outdoors")
    Shop.objects.create(company=company, domain="acme.myshopify.com", status=Shop.Status.ACTIVE)
    for n, title in enumerate(TITLES):
        make_product(company, title, n, status="ACTIVE")
    emulator.configure(fail_queries=['"cork yoga mat"'])  # the first product's two searches, in whatever order
    run, _ = create_discovery_run(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
    run = execute_discovery_run(run_id=run.pk)
    assert run.status == DiscoveryRun.Status.PARTIAL
    return user, run


def test_the_runs_page_shows_a_partial_run_with_what_youtube_answered(partial_run) -> None:
    user, run = partial_run
    client = Client()
    client.force_login(user)

    page = client.get("/dashboard/runs").content.decode()

    assert '<span class="badge status-partial">Partial</span>' in page
    assert "503 backendError" in page and "1 of 2 products discovered" in page


def test_the_api_reports_a_partial_run(partial_run) -> None:
    user, run = partial_run
    client = APIClient()
    client.force_login(user)

    body = client.get(f"/discovery/runs/{run.pk}").json()

    run_body = body.get("run", body)
    assert run_body["status"] == "partial" and not run_body["is_active"]
    assert run_body["products_done"] == 1 and run_body["products_planned"] == 2
    assert "503 backendError" in run_body["message"]
