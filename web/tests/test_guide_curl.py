"""The worker guide's curl, as the README shows it (with the token header), against a running server."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from accounts.services import issue_api_token
from pipeline.models import DiscoveryRun
from pipeline.tests.cycles_support import add_products, make_company, make_user

pytestmark = pytest.mark.django_db(transaction=True)

CURL = shutil.which("curl")


def guide_curl(url: str, body: dict[str, str], *headers: str) -> tuple[int, dict[str, Any]]:
    """`curl -X POST URL -H "Content-Type: application/json" [-H ...] -d '{...}'`, as the guide writes it."""
    if CURL is None:
        pytest.skip("curl is not installed")
    command = [CURL, "-s", "-X", "POST", url, "-H", "Content-Type: application/json"]
    for header in headers:
        command += ["-H", header]
    command += ["-d", json.dumps(body), "-w", "\n%{http_code}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    text, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(text)


def test_the_guides_curl_with_a_token_answers_as_the_guide_shows(live_server: Any) -> None:
    user = make_user("ana@juniper.test")
    company = make_company(user=user, domain="juniper-pine.myshopify.com")
    add_products(company, 2)
    # Saving the products queued their immediate run (no worker here): let it be over, as after it ran.
    DiscoveryRun.objects.filter(company=company).update(status=DiscoveryRun.Status.SUCCEEDED)
    token = issue_api_token(user=user)  # the settings page's button, or manage.py create_api_token EMAIL
    body = {"company_id": str(company.pk), "shop_domain": "juniper-pine.myshopify.com"}

    status, answer = guide_curl(f"{live_server.url}/products/trigger-discovery", body, f"Authorization: Token {token}")

    assert status == 202
    # The guide's response, field for field (plus the run to follow).
    assert answer["message"] == "Discovery triggered successfully"
    assert answer["company_id"] == str(company.pk)
    assert answer["status"] == "processing"
    assert DiscoveryRun.objects.get(pk=answer["run_id"]).company == company


def test_without_the_token_the_guides_curl_is_refused_with_a_message(live_server: Any) -> None:
    company = make_company(user=make_user("ana@juniper.test"))
    status, answer = guide_curl(f"{live_server.url}/products/trigger-discovery", {"company_id": str(company.pk)})
    assert status in (401, 403)
    assert answer == {"message": "Authentication credentials were not provided.", "details": {}}
    assert not DiscoveryRun.objects.exists()
