from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def q_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    """django-q2 runs enqueued tasks in-process (Conf is copied at import, so settings cannot do it)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    """Run transaction.on_commit callbacks as a real commit would (tests run inside one transaction)."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def connected_shop(shopify_emulator: Any, member: Any) -> Any:
    """The demo store connected to the member's company, with a live token pair from the emulator
    (as after an install) and nothing synced yet."""
    from datetime import timedelta

    from django.utils import timezone

    from shopify_app.models import Shop

    grant = shopify_emulator.grant_tokens()
    now = timezone.now()
    shop = Shop(domain=shopify_emulator.default_shop, company=member[1], status=Shop.Status.ACTIVE,
                installed_at=now, scopes=grant["scope"],
                access_token_expires_at=now + timedelta(seconds=grant["expires_in"]),
                refresh_token_expires_at=now + timedelta(seconds=grant["refresh_token_expires_in"]))
    shop.access_token = grant["access_token"]
    shop.refresh_token = grant["refresh_token"]
    shop.save()
    return shop
