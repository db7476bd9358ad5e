"""Fixtures shared by the dashboard's tests: the two-company world, a signed-in API client, inline tasks."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from web.tests.dashboard_data import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def api(world: World) -> APIClient:
    """An API client signed in as the world's member (Ana, of Juniper & Pine)."""
    client = APIClient()
    client.force_login(world.user)
    return client


@pytest.fixture
def derived_metrics_on(settings: pytest.FixtureRequest) -> None:
    """The operator opted in under YouTube's derived-metrics policy (off by default)."""
    settings.YOUTUBE_DERIVED_METRICS_ALLOWED = True  # type: ignore[attr-defined]


@pytest.fixture
def tasks_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    # django-q2 copies Q_CLUSTER into Conf at import time, so override_settings cannot make it synchronous.
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
