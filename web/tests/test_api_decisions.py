"""POST/DELETE /products/{id}/creators/{channel_id}/decision: shortlist, dismiss, restore."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from matches.models import CreatorDecision
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


def url(product_id: int, channel_id: str) -> str:
    return f"/products/{product_id}/creators/{channel_id}/decision"


def test_it_dismisses_a_creator_and_restores_it(api: APIClient, world: World) -> None:
    tea = world.channels["tea"].pk
    response = api.post(url(world.whisk.pk, tea), {"status": "dismissed"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed" and response.json()["channel_id"] == tea
    decision = CreatorDecision.objects.get(product=world.whisk, channel_id=tea)
    assert decision.status == "dismissed" and decision.decided_by == world.user
    listed = api.get(f"/products/{world.whisk.pk}/creators").json()["results"]
    assert tea not in [c["channel"]["channel_id"] for c in listed]

    restored = api.delete(url(world.whisk.pk, tea))
    assert restored.status_code == 200 and restored.json()["status"] is None
    assert not CreatorDecision.objects.filter(product=world.whisk, channel_id=tea).exists()
    listed = api.get(f"/products/{world.whisk.pk}/creators").json()["results"]
    assert listed[0]["channel"]["channel_id"] == tea


def test_changing_ones_mind_updates_the_one_decision(api: APIClient, world: World) -> None:
    brew = world.channels["brew"].pk
    api.post(url(world.whisk.pk, brew), {"status": "dismissed"}, format="json")
    api.post(url(world.whisk.pk, brew), {"status": "shortlisted"}, format="json")
    api.post(url(world.whisk.pk, brew), {"status": "shortlisted"}, format="json")
    assert list(CreatorDecision.objects.filter(product=world.whisk).values_list("status", flat=True)) == ["shortlisted"]
    first = api.get(f"/products/{world.whisk.pk}/creators").json()["results"][0]
    assert first["channel"]["channel_id"] == brew and first["decision"] == "shortlisted"


def test_restoring_an_undecided_creator_is_harmless(api: APIClient, world: World) -> None:
    response = api.delete(url(world.whisk.pk, world.channels["tea"].pk))
    assert response.status_code == 200
    assert CreatorDecision.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [{"status": "maybe"}, {}, {"status": ""}, ["dismissed"], "dismissed"],
)
def test_it_refuses_a_bad_decision_with_a_message(api: APIClient, world: World, body: object) -> None:
    response = api.post(url(world.whisk.pk, world.channels["tea"].pk), body, format="json")
    assert response.status_code == 400
    assert response.json()["message"]
    assert CreatorDecision.objects.count() == 0


def test_malformed_json_is_a_400_with_a_message(api: APIClient, world: World) -> None:
    response = api.generic(
        "POST", url(world.whisk.pk, world.channels["tea"].pk), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("JSON parse error")


def test_a_channel_not_ranked_for_the_product_is_a_404(api: APIClient, world: World) -> None:
    # Tea Master is ranked for the whisk, not the kettle; the rival's creator for neither.
    for product, channel in [
        (world.kettle.pk, world.channels["tea"].pk),
        (world.whisk.pk, world.other_channel.pk),
        (world.whisk.pk, "UCnoSuchChannel"),
    ]:
        for method in (api.post, api.delete):
            response = method(url(product, channel), {"status": "dismissed"}, format="json")
            assert response.status_code == 404
            assert response.json() == {"message": "Creator not found for this product.", "details": {}}
    assert CreatorDecision.objects.count() == 0


def test_another_companys_product_answers_404_and_changes_nothing(api: APIClient, world: World) -> None:
    secret = world.other_channel.pk
    for method in (api.post, api.delete):
        foreign = method(url(world.other_product.pk, secret), {"status": "dismissed"}, format="json")
        missing = method(url(987654321, secret), {"status": "dismissed"}, format="json")
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json() == missing.json() == {"message": "Product not found.", "details": {}}
    assert CreatorDecision.objects.count() == 0


def test_strangers_cannot_decide(world: World) -> None:
    response = APIClient().post(url(world.whisk.pk, world.channels["tea"].pk), {"status": "dismissed"}, format="json")
    assert response.status_code in (401, 403) and response.json()["message"]
    assert CreatorDecision.objects.count() == 0


def test_a_session_without_the_csrf_token_is_refused(world: World) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.user)
    response = client.post(url(world.whisk.pk, world.channels["tea"].pk), {"status": "dismissed"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["message"]
    assert CreatorDecision.objects.count() == 0
