"""POST /products/{id}/trigger-discovery: a run narrowed to one product, for its company's members only."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from pipeline.models import DiscoveryRun
from shopify_app.models import Product
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


def test_it_runs_discovery_for_that_product_only(
    api: APIClient, world: World, youtube_emulator: Any, tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/products/{world.kettle.pk}/trigger-discovery")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["created"] is True and body["product_id"] == world.kettle.pk and body["status"] == "processing"
    run = DiscoveryRun.objects.get(pk=body["run_id"])
    assert run.company == world.company and run.trigger == DiscoveryRun.Trigger.MANUAL
    assert list(run.products.all()) == [world.kettle]
    assert run.status == DiscoveryRun.Status.SUCCEEDED, (run.status, run.message, run.errors)
    assert run.products_done == 1
    world.kettle.refresh_from_db()
    assert world.kettle.last_discovered_at is not None
    # It searched YouTube (the emulator) for the kettle, or answered from a search stored earlier.
    searched = [call for call in youtube_emulator.calls if call.resource == "search"]
    assert run.search_calls + run.cached_searches > 0 and len(searched) == run.search_calls, searched


def test_a_run_in_progress_is_returned_instead_of_a_second(api: APIClient, world: World) -> None:
    active = DiscoveryRun.objects.create(company=world.company, trigger=DiscoveryRun.Trigger.SCHEDULE)
    response = api.post(f"/products/{world.whisk.pk}/trigger-discovery")
    assert response.status_code == 200
    assert response.json()["run_id"] == active.pk and response.json()["created"] is False
    assert DiscoveryRun.objects.filter(company=world.company).count() == 2  # the old finished one and this one


def test_a_draft_product_is_not_searched(api: APIClient, world: World) -> None:
    draft = Product.objects.get(company=world.company, status=Product.Status.DRAFT)
    response = api.post(f"/products/{draft.pk}/trigger-discovery")
    assert response.status_code == 400
    assert response.json()["message"] == "Only active products are searched; this one is draft."
    assert DiscoveryRun.objects.filter(company=world.company).count() == 1


def test_another_companys_product_answers_404_and_queues_nothing(api: APIClient, world: World) -> None:
    foreign = api.post(f"/products/{world.other_product.pk}/trigger-discovery")
    missing = api.post("/products/987654321/trigger-discovery")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"message": "Product not found.", "details": {}}
    assert DiscoveryRun.objects.filter(company=world.other_company).count() == 1


def test_strangers_cannot_trigger(world: World) -> None:
    response = APIClient().post(f"/products/{world.whisk.pk}/trigger-discovery")
    assert response.status_code in (401, 403) and response.json()["message"]
    assert DiscoveryRun.objects.count() == 2
