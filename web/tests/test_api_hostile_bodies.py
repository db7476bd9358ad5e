"""Every API operation that reads a body refuses hostile JSON with 400 and the one error shape."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from matches.models import CreatorDecision
from pipeline.models import DiscoveryRun
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)

HOSTILE_BODIES = pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000 + b"]" * 50_000,
        b'{"status": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        b'{"status": NaN}',
        b'{"company_id": Infinity}',
        b'{"status": "shortlisted\\u0000"}',
    ],
    ids=["deep-array", "deep-value", "nan", "infinity", "nul"],
)


def paths(world: World) -> list[str]:
    return [
        f"/products/{world.whisk.pk}/creators/{world.channels['tea'].channel_id}/decision",
        "/products/trigger-discovery",
        "/products/resync",
    ]


@HOSTILE_BODIES
def test_a_hostile_json_body_is_a_400_with_a_message_and_changes_nothing(
    api: APIClient, world: World, body: bytes
) -> None:
    runs_before = DiscoveryRun.objects.count()
    for path in paths(world):
        response = api.generic("POST", path, body.decode(), content_type="application/json")

        assert response.status_code == 400, (path, response.status_code, response.content[:200])
        assert response.json()["message"], path
    assert not CreatorDecision.objects.exists()
    assert DiscoveryRun.objects.count() == runs_before
