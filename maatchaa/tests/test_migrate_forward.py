"""A database made by main before the restructure (issue #13) migrates forward with every row kept.

The test database is taken back to OLD_LAYOUT with Django's MigrationExecutor, every table of the
project's apps (and django-q's schedules, and the users they point at) gets rows through the
historical models of that state, the database is migrated to the newest migrations, and each row is
read back by table name with raw SQL and compared column by column. Table names do not change in the
restructure (moved models keep their tables), so the old names are the contract; a column may be
added, but none of the old ones may lose or change a value.

Later migrations must keep passing this test: they must be reversible down to OLD_LAYOUT (the test
migrates back to it first) and must carry every old row forward.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The last layout before the restructure: the leaf migration of every app on main at b2bdc97
# (`ls */migrations`). Never edit this list; migrations added later are what the test migrates through.
OLD_LAYOUT: list[tuple[str, str]] = [
    ("admin", "0003_logentry_add_action_flag_choices"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("contenttypes", "0002_remove_content_type_name"),
    ("sessions", "0001_initial"),
    ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ("shopify_app", "0006_sign_in_failure"),
    ("discovery", "0001_initial"),
    ("matches", "0001_initial"),
]
PROJECT_APPS = ("shopify_app", "discovery", "matches")
# Every table those apps had in OLD_LAYOUT (each gets rows below), plus the other tables the rows
# live in: django-q's schedules (the worker's, upserted by name) and the users members are.
OLD_TABLES = {
    "shopify_app_company": "id",
    "shopify_app_membership": "id",
    "shopify_app_apitoken": "id",
    "shopify_app_signinfailure": "id",
    "shopify_app_shop": "id",
    "company_products": "id",
    "shopify_app_webhookdelivery": "id",
    "discovery_channel": "channel_id",
    "creator_videos": "video_id",
    "discovery_searchquery": "id",
    "discovery_quotaday": "day",
    "discovery_companyquotaday": "id",
    "discovery_discoveryrun": "id",
    "discovery_discoveryrun_products": "id",
    "discovery_suppressedchannel": "channel_id",
    "discovery_retentionrun": "id",
    "product_creator_matches": "id",
    "matches_creatormatch": "id",
    "matches_creatordecision": "id",
    "django_q_schedule": "id",
    "auth_user": "id",
}
EXTRA_TABLES = {"django_q_schedule", "auth_user"}

T0 = dt.datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(days=1, minutes=7)
DAY = dt.date(2026, 11, 2)
EMBEDDING = [round((i % 7) / 8 - 0.375, 3) for i in range(384)]


def insert_old_rows(apps: Apps) -> None:
    """Rows in every old table, with values other than the defaults wherever a field allows it."""

    def model(label: str) -> Any:
        return apps.get_model(label)

    user = model("auth.User").objects.create(
        username="old@layout.test", email="old@layout.test", password="md5$x$y", first_name="Old", is_staff=True
    )
    other_user = model("auth.User").objects.create(username="second@layout.test", email="second@layout.test")
    company = model("shopify_app.Company").objects.create(
        name="Old Layout Co.", own_channel_ids=["UCownChannel0000000000001"]
    )
    model("shopify_app.Membership").objects.create(user=user, company=company, role="owner")
    model("shopify_app.Membership").objects.create(user=other_user, company=company, role="member")
    model("shopify_app.ApiToken").objects.create(
        user=user, digest="d" * 64, last_four="a1b2", created_at=T0, last_used_at=T1
    )
    model("shopify_app.SignInFailure").objects.create(username="old@layout.test", created_at=T0)
    shop = model("shopify_app.Shop").objects.create(
        company=company,
        domain="old-layout.myshopify.com",
        status="needs_reauth",
        access_token_encrypted="gAAAAB-access-ciphertext",
        access_token_expires_at=T0,
        refresh_token_encrypted="gAAAAB-refresh-ciphertext",
        refresh_token_expires_at=T1,
        scopes="read_products",
        installed_at=T0,
        last_synced_at=T1,
        products_synced_until=T0,
        webhooks_registered_at=T1,
        webhooks_error="none yet",
    )
    products = [
        model("shopify_app.Product").objects.create(
            company=company,
            shop=shop,
            shopify_id=f"gid://shopify/Product/{n}",
            handle=f"whisk-{n}",
            title=f"Bamboo Whisk {n}",
            description="Hand-carved.",
            product_type="Tea tools",
            vendor="Old Layout",
            tags=["matcha", "bamboo"],
            status="DRAFT" if n == 2 else "ACTIVE",
            price=Decimal("48.50"),
            currency="USD",
            image_url="https://cdn.example/whisk.png",
            online_store_url="https://old-layout.example/whisk",
            shopify_updated_at=T0,
            embedding=EMBEDDING,
            embedding_model="all-MiniLM-L6-v2",
            last_discovered_at=T1,
        )
        for n in (1, 2)
    ]
    model("shopify_app.WebhookDelivery").objects.create(
        webhook_id="wh-1",
        topic="products/update",
        shop_domain=shop.domain,
        triggered_at=T0,
        processed_at=T1,
        payload={"id": 1, "title": "Bamboo Whisk 1", "nested": {"tags": ["a", "b"]}},
    )
    channel = model("discovery.Channel").objects.create(
        channel_id="UColdLayoutChannel00000001",
        title="Tea Time",
        description="All about tea.",
        custom_url="@teatime",
        country="JP",
        default_language="ja",
        thumbnail_url="https://yt.example/c.jpg",
        keywords="tea matcha",
        subscriber_count=123456,
        hidden_subscriber_count=True,
        video_count=321,
        view_count=9876543210,
        uploads_playlist_id="UUoldLayoutChannel00000001",
        contact_emails=["hello@teatime.example"],
        statistics_emulated=True,
        published_at=T0,
        last_upload_at=T1,
        fetched_at=T0,
    )
    video = model("discovery.Video").objects.create(
        video_id="vid00000001",
        channel=channel,
        channel_title="Tea Time",
        title="Whisking matcha properly",
        description="Sponsored by nobody. Contact hello@teatime.example",
        tags=["matcha", "whisk"],
        published_at=T0,
        category_id="26",
        duration_seconds=615,
        view_count=10000,
        like_count=800,
        comment_count=45,
        topic_categories=["https://en.wikipedia.org/wiki/Food"],
        thumbnail_url="https://yt.example/v.jpg",
        language="en",
        contact_emails=["hello@teatime.example"],
        sponsorship_signals=["affiliate link"],
        embedding=EMBEDDING,
        embedding_model="all-MiniLM-L6-v2",
        fetched_at=T1,
    )
    model("discovery.SearchQuery").objects.create(
        query="matcha whisk", params_key="videoCategoryId=26", searched_at=T0, video_ids=["vid00000001"]
    )
    model("discovery.QuotaDay").objects.create(
        day=DAY, search_calls=7, units=321, breaker_open_until=T1, breaker_reason="quotaExceeded"
    )
    model("discovery.CompanyQuotaDay").objects.create(day=DAY, company=company, search_calls=3, units=120)
    run = model("discovery.DiscoveryRun").objects.create(
        company=company,
        trigger="manual",
        status="succeeded",
        products_planned=2,
        products_done=2,
        search_calls=3,
        cached_searches=1,
        units=120,
        videos_found=40,
        matches_made=12,
        errors=["one search failed: timeout"],
        message="Done.",
        worker_pid=4242,
        heartbeat_at=T1,
        started_at=T0,
        finished_at=T1,
    )
    run.products.set(products)
    model("discovery.SuppressedChannel").objects.create(channel_id="UCforgottenChannel00000001", reason="asked")
    model("discovery.RetentionRun").objects.create(
        started_at=T0,
        finished_at=T1,
        videos_refreshed=5,
        channels_refreshed=2,
        videos_deleted=1,
        channels_deleted=1,
        units=7,
        message="ok",
    )
    model("matches.Match").objects.create(
        product=products[0], video=video, similarity_score=0.8125, evidence={"terms": ["matcha", "whisk"]}
    )
    model("matches.CreatorMatch").objects.create(
        product=products[0],
        channel=channel,
        score=0.75,
        rank=1,
        video_count=1,
        evidence={"videos": [{"video_id": "vid00000001", "score": 0.8125}], "query": "matcha whisk"},
    )
    model("matches.CreatorDecision").objects.create(
        product=products[0], channel=channel, status="shortlisted", decided_by=user
    )
    model("django_q.Schedule").objects.create(
        name="maatchaa-old-layout-cycle",
        func="pipeline.tasks.run_discovery_cycles",
        args="1, 'a'",
        kwargs="{'limit': 3}",
        schedule_type="I",
        minutes=5,
        repeats=-1,
        next_run=T1,
        cluster="maatchaa",
    )


def table_rows(table: str, pk: str) -> dict[str, dict[str, Any]]:
    """Every row of a table as {primary key: {column: value}}, as PostgreSQL writes it in JSON."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT to_jsonb(t)::text FROM {connection.ops.quote_name(table)} t")
        rows = [json.loads(text) for (text,) in cursor.fetchall()]
    return {str(row[pk]): row for row in rows}


def tables_of(apps: Apps) -> set[str]:
    return {
        model._meta.db_table
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }


def identity_sequences_behind(tables: dict[str, str]) -> list[str]:
    """Integer keys whose sequence would hand out an id already taken (a move that lost its sequence)."""
    behind = []
    with connection.cursor() as cursor:
        for table, pk in tables.items():
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            (sequence,) = cursor.fetchone()
            if sequence is None:
                continue  # a natural key (channel_id, video_id, day)
            cursor.execute(f"SELECT last_value FROM {sequence}")
            (last_value,) = cursor.fetchone()
            cursor.execute(f"SELECT coalesce(max({connection.ops.quote_name(pk)}), 0) FROM {table}")
            (highest,) = cursor.fetchone()
            if last_value < highest:
                behind.append(f"{table}.{pk}: sequence at {last_value}, rows up to {highest}")
    return behind


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_old_layout_migrates_forward_with_every_row_kept() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    old_apps = {app for app, _ in OLD_LAYOUT}
    # Apps born after OLD_LAYOUT go back to zero, or their tables would outlive the old state.
    targets: list[tuple[str, str | None]] = [*OLD_LAYOUT, *((app, None) for app, _ in latest if app not in old_apps)]
    try:
        executor.migrate(targets)
        executor.loader.build_graph()
        old_state_apps = executor.loader.project_state(OLD_LAYOUT).apps
        assert tables_of(old_state_apps) == set(OLD_TABLES) - EXTRA_TABLES, "OLD_TABLES must list every old table"

        insert_old_rows(old_state_apps)
        before = {table: table_rows(table, pk) for table, pk in OLD_TABLES.items()}
        assert all(before.values()), f"tables without rows: {[t for t, rows in before.items() if not rows]}"
    finally:
        # Whatever happened above, the test database ends at the newest state for the tests after this one.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        executor.loader.build_graph()  # re-reads what is applied

    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())
    for table, pk in OLD_TABLES.items():
        after = table_rows(table, pk)
        assert set(after) == set(before[table]), f"{table}: rows lost or added"
        for key, old_row in before[table].items():
            kept = {column: after[key].get(column, "<column gone>") for column in old_row}
            assert kept == old_row, f"{table} row {key} changed"
    assert not identity_sequences_behind(OLD_TABLES)
