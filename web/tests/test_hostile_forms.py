"""Values a person (or a script) can put in a form or header of the dashboard and the sign-in pages are
answered with a page or a redirect, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.encoding import iri_to_uri

from accounts.models import SignInFailure
from web.tests.dashboard_data import PASSWORD, World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)

NOT_VIEW_NAMES = ["NaN", "-1", "[]", "1e309", "' OR 1=1 --"]


@pytest.fixture
def browser(world: World) -> Client:
    client = Client()
    client.force_login(world.user)
    return client


@pytest.mark.parametrize("next_url", NOT_VIEW_NAMES)
def test_a_next_that_is_not_a_path_is_a_relative_redirect_not_a_view_lookup(browser: Client, next_url: str) -> None:
    # redirect() took "NaN" for a view name, failed to find one and raised NoReverseMatch (a 500).
    response = browser.get("/accounts/signup/", {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == iri_to_uri(next_url)


@pytest.mark.parametrize("next_url", NOT_VIEW_NAMES)
def test_a_decision_with_such_a_next_redirects_there(browser: Client, world: World, next_url: str) -> None:
    url = f"/dashboard/products/{world.whisk.pk}/creators/{world.channels['tea'].pk}/decision"

    response = browser.post(url, {"action": "shortlisted", "next": next_url})

    assert response.status_code == 302
    # Back to the same place on the page: the decided creator's card.
    assert response["Location"] == f"{iri_to_uri(next_url)}#creator-{world.channels['tea'].pk}"


@pytest.mark.parametrize("referer", [*NOT_VIEW_NAMES, "https://evil.test/"])
def test_a_refused_dashboard_action_goes_back_to_a_page_of_this_site(browser: Client, referer: str) -> None:
    # A company that is not the member's: refused, and sent back to a page of this site, not the Referer.
    response = browser.post("/dashboard/settings/company", {"company_id": "NaN"}, headers={"Referer": referer})

    assert response.status_code == 302
    assert response["Location"] in (iri_to_uri(referer), "/dashboard/products")
    assert "evil" not in response["Location"]


@pytest.mark.parametrize("username", ["\x00", "ana@juniper.test\x00", "a\x00b"])
def test_a_sign_in_name_holding_a_nul_is_refused_like_any_wrong_name(world: World, username: str) -> None:
    # The lockout's lookup sent the NUL to PostgreSQL, which refused it (a 500).
    response = Client().post("/accounts/login/", {"username": username, "password": PASSWORD})

    assert response.status_code == 400
    assert all("\x00" not in name for name in SignInFailure.objects.values_list("username", flat=True))


def test_the_admin_add_membership_page_ignores_a_prefilled_company_that_is_no_company(admin_client: Client) -> None:
    for company in ["NaN", "-1", "x" * 300, "00000000-0000-0000-0000-000000000000"]:
        response = admin_client.get("/admin/accounts/membership/add/", {"company": company})

        assert response.status_code == 200, company
