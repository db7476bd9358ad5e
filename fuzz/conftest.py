"""The fuzz stage (`make fuzz`, which `make test` runs): every route, any method, any header, any body, and the
API's schema through schemathesis. The pass mark is zero 5xx. Data: the dashboard tests' two-company world, a
superuser for the admin and an API token for the world's member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from web.tests.dashboard_data import World, build_world, fast_hashing  # noqa: F401 (a fixture)

pytestmark = pytest.mark.fuzz


@dataclass
class FuzzWorld:
    world: World
    token: str
    superuser: Any


@pytest.fixture
def fuzz_world(db: None, fast_hashing: None, django_user_model: Any, shopify_emulator: Any) -> FuzzWorld:  # noqa: F811
    """The world, with Shopify configured as in production (the emulator on loopback): a 503 for "Shopify is
    not configured here" is the operator's to fix, not what a request may cause."""
    from accounts.services import issue_api_token
    from creators.models import CreatorList, CreatorNote, ListEntry

    world = build_world()
    # A list with an entry and a note, so that the creators app's routes reach real rows too.
    listed = CreatorList.objects.create(company=world.company, name="Outreach", created_by=world.user)
    ListEntry.objects.create(creator_list=listed, channel=world.channels["tea"], product=world.whisk)
    CreatorNote.objects.create(
        company=world.company, channel=world.channels["tea"], text="Met at a fair", author=world.user
    )
    superuser = django_user_model.objects.create_superuser("root@maatchaa.test", "root@maatchaa.test", "x" * 20)
    return FuzzWorld(world=world, token=issue_api_token(user=world.user), superuser=superuser)
