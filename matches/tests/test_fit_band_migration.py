"""Creators ranked before fit bands existed get their band from their score when the migration runs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("matches", "0003_creator_matches_plural")]
AFTER = [("matches", "0004_fit_band_and_own_channel_guess")]


@pytest.mark.django_db(transaction=True)
def test_existing_creators_are_banded_by_the_migration():
    executor = MigrationExecutor(connection)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "matches"]
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE + others).apps
    now = timezone.now()
    company = old.get_model("accounts", "Company").objects.create(name="Before Bands")
    product = old.get_model("shopify_app", "Product").objects.create(
        company=company, shopify_id="gid://shopify/Product/77", title="Old Whisk"
    )
    channel_model = old.get_model("discovery", "Channel")
    creator_model = old.get_model("matches", "CreatorMatch")
    for rank, score in enumerate((0.91, 0.6, 0.2), start=1):
        channel = channel_model.objects.create(channel_id=f"UCbeforeBands{rank:011d}", title=f"C{rank}")
        creator_model.objects.create(
            product=product, channel=channel, score=score, rank=rank, created_at=now, updated_at=now
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER + others).apps

    bands = list(new.get_model("matches", "CreatorMatch").objects.order_by("rank").values_list("fit_band", flat=True))
    assert bands == ["strong", "good", "weak"]
