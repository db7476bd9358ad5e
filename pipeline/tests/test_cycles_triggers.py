"""Triggers that start discovery: product sync (coalesced), racing triggers, the API, admin actions.

The broker is django-q2's ORM broker, so an enqueued task is a row in OrmQ: these tests count them.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction
from django.test import Client

from accounts.services import issue_api_token
from pipeline.models import DiscoveryRun
from pipeline.tests.cycles_support import add_products, make_company, make_user, queued_run_ids, queued_tasks
from pipeline.triggers import trigger_discovery
from shopify_app.models import Product, Shop

pytestmark = pytest.mark.django_db


def forget_runs() -> None:
    """Start a test from no runs and an empty queue (after setup whose sync triggered discovery)."""
    from django_q.models import OrmQ

    DiscoveryRun.objects.all().delete()
    OrmQ.objects.all().delete()


# --- product sync (post_save signal) ----------------------------------------------------------------
def test_syncing_500_products_in_one_transaction_enqueues_one_run(django_capture_on_commit_callbacks):
    company = make_company()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            add_products(company, 500)
    assert len(callbacks) == 2  # one flush for the whole sync, then one enqueue
    run = DiscoveryRun.objects.get()
    assert (run.company, run.trigger, run.status) == (company, DiscoveryRun.Trigger.IMMEDIATE, "queued")
    assert queued_run_ids() == [run.pk]


def test_two_companies_synced_in_one_transaction_get_one_run_each(django_capture_on_commit_callbacks):
    first, second = make_company("First"), make_company("Second")
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            add_products(first, 30)
            add_products(second, 30)
    assert sorted(DiscoveryRun.objects.values_list("company__name", flat=True)) == ["First", "Second"]
    assert len(queued_tasks()) == 2


def test_a_second_sync_while_the_run_is_queued_enqueues_nothing_more(django_capture_on_commit_callbacks):
    company = make_company()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            add_products(company, 20)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            add_products(company, 20, start=20)
    assert DiscoveryRun.objects.count() == 1
    assert len(queued_tasks()) == 1


def test_a_rolled_back_sync_enqueues_nothing(django_capture_on_commit_callbacks):
    company = make_company()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                add_products(company, 10)
                raise RuntimeError("the sync failed half-way")
    assert not DiscoveryRun.objects.exists()
    assert not queued_tasks()


def test_draft_products_and_uninstalled_shops_start_no_discovery(django_capture_on_commit_callbacks):
    drafts = make_company("Drafts only")
    gone = make_company("Uninstalled")
    gone.shops.update(status=Shop.Status.UNINSTALLED)
    with django_capture_on_commit_callbacks(execute=True):
        add_products(drafts, 3, status=Product.Status.DRAFT)
        add_products(gone, 3)
    assert not DiscoveryRun.objects.exists()
    assert not queued_tasks()


def test_discovery_bookkeeping_saves_do_not_trigger_another_discovery(django_capture_on_commit_callbacks):
    company = make_company()
    with django_capture_on_commit_callbacks(execute=True):
        (product,) = add_products(company, 1)
    forget_runs()
    with django_capture_on_commit_callbacks(execute=True):
        product.save(update_fields=["last_discovered_at"])
    assert not DiscoveryRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        product.title = "Renamed in Shopify"
        product.save(update_fields=["title"])
    assert DiscoveryRun.objects.count() == 1


def test_shopifys_sync_of_500_products_enqueues_one_run(shopify_emulator, django_capture_on_commit_callbacks):
    from emulators.shopify import make_products
    from emulators.testing.shopify_fixtures import connect_emulated_shop, create_member
    from shopify_app.services import sync_shop_products

    _, company = create_member()
    shop = connect_emulated_shop(shopify_emulator, company=company)
    shopify_emulator.shop().products = make_products(500)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = sync_shop_products(shop=shop)

    assert result.created == 500
    assert len(callbacks) == 2  # one flush for the 500 saves, then one enqueue
    run = DiscoveryRun.objects.get()
    assert (run.company, run.trigger) == (company, DiscoveryRun.Trigger.IMMEDIATE)
    assert queued_run_ids() == [run.pk]


# --- racing triggers ---------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_triggers_for_one_company_make_one_run():
    company = make_company()
    add_products(company, 3)  # autocommit: the signal's run is enqueued at once
    forget_runs()
    barrier = threading.Barrier(4)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def trigger() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                run, created = trigger_discovery(company=company, trigger=DiscoveryRun.Trigger.MANUAL)
            results.append((run.pk, created))
        except BaseException as exc:  # pragma: no cover - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=trigger) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert DiscoveryRun.objects.count() == 1
    run = DiscoveryRun.objects.get()
    assert sorted(results) == sorted([(run.pk, True)] + [(run.pk, False)] * 3)
    assert queued_run_ids() == [run.pk]


# --- POST /products/trigger-discovery ----------------------------------------------------------------
@pytest.fixture
def member() -> tuple[Client, object]:
    user = make_user("marketer")
    client = Client()
    client.force_login(user)
    return client, user


def test_a_member_triggers_discovery_with_the_guides_request_and_response(member, django_capture_on_commit_callbacks):
    client, user = member
    company = make_company(user=user, domain="juniper-pine.myshopify.com")
    add_products(company, 2)  # outside a commit capture: the sync's own trigger never runs here

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/products/trigger-discovery",
            {"company_id": str(company.pk), "shop_domain": "juniper-pine.myshopify.com"},
            content_type="application/json",
        )

    assert response.status_code == 202
    run = DiscoveryRun.objects.get()
    assert response.json() == {
        "message": "Discovery triggered successfully",
        "company_id": str(company.pk),
        "status": "processing",
        "run_id": run.pk,
        "run_status": "queued",
        "created": True,
    }
    assert run.trigger == DiscoveryRun.Trigger.MANUAL
    assert queued_run_ids() == [run.pk]


def test_a_trigger_that_finds_a_run_in_progress_answers_with_that_runs_status(
    member, django_capture_on_commit_callbacks
):
    client, user = member
    company = make_company(user=user)
    running = DiscoveryRun.objects.create(company=company, trigger="schedule", status="running")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/products/trigger-discovery", {"company_id": str(company.pk)}, content_type="application/json"
        )

    assert response.status_code == 200
    body = response.json()
    assert (body["run_id"], body["run_status"], body["status"], body["created"]) == (
        running.pk,
        "running",
        "processing",
        False,
    )
    assert DiscoveryRun.objects.count() == 1
    assert not queued_tasks()


def test_a_trigger_for_another_companys_id_is_refused_and_enqueues_nothing(member, django_capture_on_commit_callbacks):
    client, user = member
    make_company("Mine", user=user)
    other = make_company("Theirs")
    add_products(other, 2)  # outside a commit capture: the sync's own trigger never runs here

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            "/products/trigger-discovery", {"company_id": str(other.pk)}, content_type="application/json"
        )

    assert response.status_code == 404
    assert response.json() == {"message": "Company not found.", "details": {}}
    assert not callbacks
    assert not DiscoveryRun.objects.exists()
    assert not queued_tasks()


def test_a_malformed_company_id_is_a_400_with_a_message(member):
    client, user = member
    make_company(user=user)
    response = client.post("/products/trigger-discovery", {"company_id": "not-a-uuid"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "company_id must be a UUID, got 'not-a-uuid'."
    missing = client.post("/products/trigger-discovery", {}, content_type="application/json")
    assert missing.status_code == 400
    assert "company_id" in missing.json()["details"]
    assert not DiscoveryRun.objects.exists()


def test_a_shop_domain_of_another_company_is_refused(member):
    client, user = member
    company = make_company("Mine", user=user, domain="mine.myshopify.com")
    make_company("Theirs", domain="theirs.myshopify.com")
    response = client.post(
        "/products/trigger-discovery",
        {"company_id": str(company.pk), "shop_domain": "theirs.myshopify.com"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["message"] == "theirs.myshopify.com is not a shop of this company."
    assert not DiscoveryRun.objects.exists()


def test_an_anonymous_trigger_is_refused():
    company = make_company()
    response = Client().post(
        "/products/trigger-discovery", {"company_id": str(company.pk)}, content_type="application/json"
    )
    assert response.status_code in (401, 403)
    assert "message" in response.json()
    assert not DiscoveryRun.objects.exists()


def test_a_token_authenticated_member_can_trigger(django_capture_on_commit_callbacks):
    user = make_user("api-client")
    company = make_company(user=user)
    add_products(company, 1)  # outside a commit capture: the sync's own trigger never runs here
    key = issue_api_token(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/products/trigger-discovery",
            {"company_id": str(company.pk)},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {key}",
        )
    assert response.status_code == 202
    run = DiscoveryRun.objects.get(company=company)
    assert queued_run_ids() == [run.pk]


def test_a_company_with_nothing_to_search_is_told_so_and_no_run_is_made(member):
    client, user = member
    company = make_company(user=user)  # a store, but no products in it
    response = client.post(
        "/products/trigger-discovery", {"company_id": str(company.pk)}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["message"].startswith("Nothing to search: this company has no active products")
    assert response.json()["details"] == {"reason": "no_products"}
    assert not DiscoveryRun.objects.exists()


# --- GET /discovery/runs -------------------------------------------------------------------------------
def test_the_runs_list_shows_only_the_callers_companies_runs_newest_first(member):
    client, user = member
    mine = make_company("Mine", user=user)
    theirs = make_company("Theirs")
    old = DiscoveryRun.objects.create(company=mine, trigger="schedule", status="succeeded", products_done=4)
    new = DiscoveryRun.objects.create(company=mine, trigger="manual", status="running")
    DiscoveryRun.objects.create(company=theirs, trigger="manual", status="running")

    body = client.get("/discovery/runs").json()

    assert body["count"] == 2
    assert [run["id"] for run in body["results"]] == [new.pk, old.pk]
    assert body["results"][1]["company"] == {"id": str(mine.pk), "name": "Mine"}
    assert body["results"][1]["products_done"] == 4
    active = client.get("/discovery/runs", {"active": "true"}).json()
    assert [run["id"] for run in active["results"]] == [new.pk]


def test_the_runs_list_is_paginated(member):
    client, user = member
    company = make_company(user=user)
    DiscoveryRun.objects.bulk_create(
        [DiscoveryRun(company=company, trigger="schedule", status="succeeded") for _ in range(30)]
    )
    first = client.get("/discovery/runs").json()
    assert (first["count"], len(first["results"])) == (30, 25)
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5


def test_another_companys_run_answers_404(member):
    client, user = member
    mine = make_company("Mine", user=user)
    theirs = make_company("Theirs")
    own = DiscoveryRun.objects.create(company=mine, trigger="manual")
    foreign = DiscoveryRun.objects.create(company=theirs, trigger="manual")

    assert client.get(f"/discovery/runs/{own.pk}").json()["status"] == "queued"
    response = client.get(f"/discovery/runs/{foreign.pk}")
    assert response.status_code == 404
    assert response.json() == {"message": "Discovery run not found.", "details": {}}
    assert client.get("/discovery/runs", {"company_id": str(theirs.pk)}).status_code == 404
    assert client.get("/discovery/runs", {"company_id": str(uuid.uuid4())[:8]}).status_code == 400


# --- admin actions -------------------------------------------------------------------------------------
@pytest.fixture
def admin_client_logged_in(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_company_admin_action_runs_discovery_now(admin_client_logged_in, django_capture_on_commit_callbacks):
    first, second = make_company("First"), make_company("Second")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_logged_in.post(
            "/admin/accounts/company/",
            {"action": "run_discovery_for_companies", "_selected_action": [str(first.pk), str(second.pk)]},
            follow=True,
        )
    assert response.status_code == 200
    assert sorted(DiscoveryRun.objects.values_list("company__name", "trigger")) == [
        ("First", "manual"),
        ("Second", "manual"),
    ]
    assert len(queued_tasks()) == 2
    assert "Discovery started for 2 company(ies)" in response.content.decode()


def test_the_product_admin_action_runs_discovery_for_the_selected_products(
    admin_client_logged_in, django_capture_on_commit_callbacks
):
    company = make_company()
    products = add_products(company, 5)  # outside a commit capture: the sync's own trigger never runs here
    chosen = [products[1].pk, products[3].pk]
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_logged_in.post(
            "/admin/shopify_app/product/",
            {"action": "run_discovery_for_products", "_selected_action": [str(pk) for pk in chosen]},
        )
    run = DiscoveryRun.objects.get()
    (task,) = queued_tasks()
    assert list(task.args()) == [run.pk]
    assert task.kwargs()["product_ids"] == sorted(chosen)
