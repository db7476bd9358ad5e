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
    from emulators.testing.shopify_fixtures import connect_emulated_shop

    return connect_emulated_shop(shopify_emulator, company=member[1])
