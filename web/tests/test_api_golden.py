"""Every API endpoint's response on the demo world, byte for byte against golden/api_demo_world.json.

The safety net for restructuring (issue #13): moving models between apps or modules between packages
must not change a single byte the API sends. The world is what `manage.py demo` builds (the demo
store synced from the Shopify emulator, discovery against the YouTube emulator over the demo corpus),
plus a second company so that tenancy errors have someone else's rows to refuse.

What is pinned rather than normalised:
- time: the whole test runs at FROZEN_AT (time-machine, not ticking), so every "now" (created_at,
  fetched_at, "as of" dates, decided_at, the CSV file name) is the same on every run;
- integer ids: sequences are reset before the test, so products, runs and matches get the same ids.

What is normalised, because it is random by design (see `normaliser`), before comparing or writing:
- the companies' primary keys (uuid4), in their text and hex spellings, become `<company-uuid:NAME>`;
- the loopback ports the OS gives the two emulators `manage.py demo` starts (image and thumbnail
  URLs point at them) become `<emulator-port>`; the paths still tell Shopify's /cdn/ from YouTube's;
- the CSRF token Swagger UI's page embeds (fresh on every request) becomes `<csrf-token>`.
Nothing else is touched.

Discovery itself runs only inside `manage.py demo`; the POST endpoints that would start discovery
(or call Shopify) are called only for their error responses. Decisions (POST/DELETE) are deterministic
and are called for real.

Regenerate after an intended change with `MAATCHAA_WRITE_GOLDEN=1` and review the diff of the golden
file like code. The golden assumes the default WORKER_*/DISCOVERY_* settings (`.env` unset).
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Company
from accounts.services import issue_api_token
from matches.models import CreatorMatch
from pipeline.management.commands import demo
from pipeline.models import DiscoveryRun
from shopify_app.models import Product
from web.tests.dashboard_data import fast_hashing, make_member

GOLDEN = Path(__file__).parent / "golden" / "api_demo_world.json"
WRITE_GOLDEN = os.environ.get("MAATCHAA_WRITE_GOLDEN", "") == "1"
FROZEN_AT = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
# The response headers that are part of what a client receives as content; the rest (Vary, lengths,
# security headers) belong to middleware, not to the API's bodies.
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Allow")
UNKNOWN_ID = 999_999
EMULATOR_PORT = re.compile(r"(http://127\.0\.0\.1:)\d+/")
CSRF_TOKEN = re.compile(r'(\["X-CSRFTOKEN"\] = ")[A-Za-z0-9]+(")')


@dataclass
class Call:
    name: str  # unique within the golden file; the request plus, where it repeats, why
    method: str
    path: str
    body: Any = None
    auth: str = "token"  # "token", "none" or "bad-token"


def build_world() -> tuple[Company, Company, str]:
    """The demo world, a second company with a product and a run, and an API token for the demo member."""
    call_command("demo", stdout=io.StringIO())
    company = Company.objects.get(name=demo.DEMO_COMPANY)
    _, other = make_member("olga@other.test", "Other Outfitters")
    Product.objects.create(company=other, shopify_id="gid://shopify/Product/1", title="Other Tent", handle="tent")
    DiscoveryRun.objects.create(company=other, trigger=DiscoveryRun.Trigger.MANUAL)
    key = issue_api_token(user=company.memberships.get().user)
    return company, other, key


def calls_for(company: Company, other: Company) -> list[Call]:
    products = list(Product.objects.filter(company=company).order_by("title", "pk"))
    ranked = [p for p in products if CreatorMatch.objects.filter(product=p).exists()]
    first = ranked[0]
    channels = list(CreatorMatch.objects.filter(product=first).order_by("rank").values_list("channel_id", flat=True))
    inactive = next(p for p in products if p.status != Product.Status.ACTIVE)
    foreign = Product.objects.get(company=other)
    foreign_run = DiscoveryRun.objects.get(company=other)
    creators = f"/products/{first.pk}/creators"
    decision = f"{creators}/{channels[0]}/decision"

    calls = [
        # The schema and docs: every operation, serializer and help text, as clients generate code from it.
        Call("schema yaml", "GET", "/api/schema/"),
        Call("schema json", "GET", "/api/schema/?format=json"),
        Call("docs", "GET", "/api/docs/"),
        # Products.
        Call("products", "GET", "/products"),
        Call("products search", "GET", "/products?search=matcha"),
        Call("products search none", "GET", "/products?search=zzz-nothing"),
        Call("products status draft", "GET", "/products?status=DRAFT"),
        Call("products page 2 of 5", "GET", "/products?page_size=5&page=2"),
        Call("products named company", "GET", f"/products?company_id={company.pk}"),
        Call("products options", "OPTIONS", "/products"),
        Call("products bad status", "GET", "/products?status=bogus"),
        Call("products bad company id", "GET", "/products?company_id=not-a-uuid"),
        Call("products other company", "GET", f"/products?company_id={other.pk}"),
        Call("products page past end", "GET", "/products?page=99"),
        Call("products without auth", "GET", "/products", auth="none"),
        Call("products bad token", "GET", "/products", auth="bad-token"),
    ]
    # Every product's top creators (the first product's whole list below), then CSV in both spellings.
    calls += [Call(f"creators {p.title}", "GET", f"/products/{p.pk}/creators?page_size=5") for p in products]
    calls += [
        Call("creators csv", "GET", f"/products/{first.pk}/creators.csv"),
        Call("creators format=csv", "GET", f"{creators}?format=csv&ordering=subscribers"),
        Call("creators page 2 of 2", "GET", f"{creators}?page_size=2&page=2"),
        Call("creators ordering subscribers", "GET", f"{creators}?ordering=subscribers"),
        Call("creators ordering recent_upload", "GET", f"{creators}?ordering=recent_upload"),
        Call("creators min_subscribers", "GET", f"{creators}?min_subscribers=50000"),
        Call("creators max_subscribers", "GET", f"{creators}?max_subscribers=50000"),
        Call("creators min_engagement", "GET", f"{creators}?min_engagement=0.03"),
        Call("creators country", "GET", f"{creators}?country=us"),
        Call("creators language", "GET", f"{creators}?language=en"),
        Call("creators uploaded_within_days", "GET", f"{creators}?uploaded_within_days=365"),
        Call("creators bad ordering", "GET", f"{creators}?ordering=bogus"),
        Call("creators ordering engagement without the opt-in", "GET", f"{creators}?ordering=engagement"),
        Call("creators bad min_subscribers", "GET", f"{creators}?min_subscribers=many"),
        Call("creators min above max", "GET", f"{creators}?min_subscribers=10&max_subscribers=5"),
        Call("creators bad country", "GET", f"{creators}?country=USA"),
        Call("creators bad country csv", "GET", f"/products/{first.pk}/creators.csv?country=USA"),
        Call("creators unknown product", "GET", f"/products/{UNKNOWN_ID}/creators"),
        Call("creators other company's product", "GET", f"/products/{foreign.pk}/creators"),
        Call("creators page past end", "GET", f"{creators}?page=99"),
        # Decisions change what the lists show: shortlist one, dismiss another, look, restore.
        Call("decide shortlist", "POST", f"{creators}/{channels[-1]}/decision", {"status": "shortlisted"}),
        Call("decide dismiss", "POST", decision, {"status": "dismissed"}),
        Call("creators after decisions", "GET", creators),
        Call("creators include_dismissed", "GET", f"{creators}?include_dismissed=true"),
        Call("products after decisions", "GET", "/products?search=" + first.title.split()[0]),
        Call("decide restore", "DELETE", decision),
        Call("creators after restore", "GET", creators),
        Call("decide bad status", "POST", decision, {"status": "maybe"}),
        Call("decide not an object", "POST", decision, ["shortlisted"]),
        Call(
            "decide unknown channel", "POST", f"{creators}/UCnobodyAtAll000000000000/decision", {"status": "dismissed"}
        ),
        Call(
            "decide unknown product",
            "POST",
            f"/products/{UNKNOWN_ID}/creators/{channels[0]}/decision",
            {"status": "dismissed"},
        ),  # fmt: skip
        Call("decide other company's product", "DELETE", f"/products/{foreign.pk}/creators/{channels[0]}/decision"),
        # The brand's own channels: named in the demo, so nothing is guessed; undoing needs a guess.
        Call("own channels", "GET", "/own-channels"),
        Call("own channel undo unknown", "POST", "/own-channels/UCnobodyAtAll000000000000", {"ours": False}),
        Call("own channel bad body", "POST", "/own-channels/UCnobodyAtAll000000000000", {"ours": "maybe"}),
        # Discovery runs.
        Call("runs", "GET", "/discovery/runs"),
        Call("runs active", "GET", "/discovery/runs?active=true"),
        Call("runs of company", "GET", f"/discovery/runs?company_id={company.pk}"),
        Call("runs page 2 of 1", "GET", "/discovery/runs?page_size=1&page=2"),
        Call("runs bad company id", "GET", "/discovery/runs?company_id=nope"),
        Call("runs other company", "GET", f"/discovery/runs?company_id={other.pk}"),
        Call("run unknown", "GET", f"/discovery/runs/{UNKNOWN_ID}"),
        Call("run other company's", "GET", f"/discovery/runs/{foreign_run.pk}"),
    ]
    calls += [
        Call(f"run {run.pk}", "GET", f"/discovery/runs/{run.pk}")
        for run in DiscoveryRun.objects.filter(company=company).order_by("pk")
    ]
    # The POSTs that would start discovery or call Shopify: their refusals only.
    calls += [
        Call("trigger no body", "POST", "/products/trigger-discovery", {}),
        Call("trigger not an object", "POST", "/products/trigger-discovery", ["x"]),
        Call("trigger bad company id", "POST", "/products/trigger-discovery", {"company_id": "nope"}),
        Call("trigger other company", "POST", "/products/trigger-discovery", {"company_id": str(other.pk)}),
        Call(
            "trigger not this shop",
            "POST",
            "/products/trigger-discovery",
            {"company_id": str(company.pk), "shop_domain": "elsewhere.myshopify.com"},
        ),  # fmt: skip
        Call("trigger by GET", "GET", "/products/trigger-discovery"),
        Call("trigger one inactive", "POST", f"/products/{inactive.pk}/trigger-discovery"),
        Call("trigger one unknown", "POST", f"/products/{UNKNOWN_ID}/trigger-discovery"),
        Call("trigger one other company's", "POST", f"/products/{foreign.pk}/trigger-discovery"),
        Call("resync not an object", "POST", "/products/resync", ["x"]),
        Call("resync bad company id", "POST", "/products/resync", {"company_id": "nope"}),
        Call("resync other company", "POST", "/products/resync", {"company_id": str(other.pk)}),
    ]
    calls += creator_calls(company, other, first=first, foreign=foreign, channel=channels[0])
    return calls


def creator_calls(company: Company, other: Company, *, first: Product, foreign: Product, channel: str) -> list[Call]:
    """Creators as relationships (issue #17): a creator's page and notes. Recent uploads would call
    YouTube: only their refusals. Ids of rows made here are fixed (sequences are reset)."""
    creator = f"/creators/{channel}"
    return [
        Call("creator", "GET", creator),
        Call("creator named company", "GET", f"{creator}?company_id={company.pk}"),
        Call("creator other company", "GET", f"{creator}?company_id={other.pk}"),
        Call("creator unknown", "GET", "/creators/UCnobodyAtAll000000000000"),
        Call("creator note add", "POST", f"{creator}/notes", {"text": "Met at the tea fair <b>"}),
        Call("creator note empty", "POST", f"{creator}/notes", {"text": " "}),
        Call("creator note not an object", "POST", f"{creator}/notes", ["x"]),
        Call("creator after note", "GET", creator),
        Call("creator note delete unknown", "DELETE", f"{creator}/notes/{UNKNOWN_ID}"),
        Call("creator note delete", "DELETE", f"{creator}/notes/1"),
        Call("creator recent uploads unknown", "POST", "/creators/UCnobodyAtAll000000000000/recent-uploads"),
        Call("creator recent uploads other company", "POST", f"{creator}/recent-uploads?company_id={other.pk}"),
        # Lists with a pipeline: list 1 and its entry 1 are made here.
        Call("lists empty", "GET", "/lists"),
        Call("list create", "POST", "/lists", {"name": "Spring launch", "description": "Matcha season"}),
        Call("list create taken name", "POST", "/lists", {"name": "spring LAUNCH"}),
        Call("list create no name", "POST", "/lists", {}),
        Call("list create other company", "POST", f"/lists?company_id={other.pk}", {"name": "x"}),
        Call("list entry add", "POST", "/lists/1/entries", {"channel_id": channel, "product_id": first.pk}),
        Call("list entry add again", "POST", "/lists/1/entries", {"channel_id": channel}),
        Call("list entry add unknown creator", "POST", "/lists/1/entries", {"channel_id": "UCnobodyAtAll000000000000"}),
        Call("list entry bad status", "PATCH", "/lists/1/entries/1", {"status": "maybe"}),
        Call(
            "list entry contacted", "PATCH", "/lists/1/entries/1", {"status": "contacted", "notes": "Sent <the> deck"}
        ),
        Call("list entries", "GET", "/lists/1/entries"),
        Call("list entries contacted", "GET", "/lists/1/entries?status=contacted&ordering=recent"),
        Call("list entries bad ordering", "GET", "/lists/1/entries?ordering=bogus"),
        Call("list entries csv", "GET", "/lists/1/entries.csv"),
        Call("list entries format=csv", "GET", "/lists/1/entries?format=csv&status=agreed"),
        Call("list", "GET", "/lists/1"),
        Call("list rename", "PATCH", "/lists/1", {"name": "Spring launch 2027"}),
        Call("lists", "GET", "/lists"),
        Call("creator on a list", "GET", creator),
        Call("list unknown", "GET", f"/lists/{UNKNOWN_ID}"),
        Call("list entry unknown", "PATCH", f"/lists/1/entries/{UNKNOWN_ID}", {"status": "agreed"}),
        Call("list entry remove", "DELETE", "/lists/1/entries/1"),
        Call("list delete", "DELETE", "/lists/1"),
        # Outreach drafts: the template, a draft, and "contacted" on list 2.
        Call("outreach template default", "GET", "/outreach-template"),
        Call("outreach template unknown placeholder", "PUT", "/outreach-template", {"subject": "Hi", "body": "{nope}"}),
        Call(
            "outreach template save",
            "PUT",
            "/outreach-template",
            {
                "subject": "{brand_name} x {creator_name}",
                "body": "Hi {creator_name},\n{why}.\n{product_title}: {product_url}",
            },
        ),  # fmt: skip
        Call("outreach template other company", "GET", f"/outreach-template?company_id={other.pk}"),
        Call("creator draft", "GET", f"{creator}/draft?product_id={first.pk}"),
        Call("creator draft best fit", "GET", f"{creator}/draft"),
        Call("creator draft other company's product", "GET", f"{creator}/draft?product_id={foreign.pk}"),
        Call("list create outreach", "POST", "/lists", {"name": "Outreach"}),
        Call("creator contacted", "POST", f"{creator}/contacted", {"list_id": 2, "product_id": first.pk}),
        Call("creator contacted unknown list", "POST", f"{creator}/contacted", {"list_id": UNKNOWN_ID}),
        Call("list entries after contacted", "GET", "/lists/2/entries"),
        # Lookalikes: stored channels only, no YouTube call (the demo's emulator is gone by now anyway).
        Call("creator lookalikes", "GET", f"{creator}/lookalikes?limit=5"),
        Call("creator lookalikes bad limit", "GET", f"{creator}/lookalikes?limit=0"),
        Call("creator lookalikes other company", "GET", f"{creator}/lookalikes?company_id={other.pk}"),
        # What's new: creators that entered a product's strong band since a moment.
        Call("whats new", "GET", "/whats-new?since=2026-11-01T00:00:00Z"),
        Call("whats new default", "GET", "/whats-new"),
        Call("whats new bad since", "GET", "/whats-new?since=yesterday"),
        Call("whats new other company", "GET", f"/whats-new?company_id={other.pk}"),
    ]


Normaliser = Callable[[str], str]


def normaliser(companies: list[Company]) -> Normaliser:
    """Replaces what is random by design (the module's docstring lists it) with stable stand-ins."""
    pairs = []
    for company in companies:
        stand_in = f"<company-uuid:{company.name}>"
        pairs += [(str(company.pk), stand_in), (company.pk.hex, stand_in)]

    def normalise(text: str) -> str:
        for random_text, stand_in in pairs:
            text = text.replace(random_text, stand_in)
        text = EMULATOR_PORT.sub(r"\1<emulator-port>/", text)
        return CSRF_TOKEN.sub(r"\1<csrf-token>\2", text)

    return normalise


def record(client: APIClient, call: Call, norm: Normaliser) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if call.body is not None:
        kwargs = {"data": json.dumps(call.body), "content_type": "application/json"}
    response = client.generic(call.method, call.path, **kwargs)
    content = response.content  # no API response streams; one that did would raise here
    headers = {name: norm(response[name]) for name in KEPT_HEADERS if response.has_header(name)}
    return {
        "request": norm(f"{call.method} {call.path}"),
        "request_body": norm(json.dumps(call.body)) if call.body is not None else None,
        "status": response.status_code,
        "headers": headers,
        # Strict UTF-8: every body the API sends is text; a byte that is not would fail here, not hide.
        "body": norm(content.decode("utf-8")),
    }


def readable(entry: dict[str, Any]) -> list[str]:
    """An entry as lines for a diff: the body pretty-printed when it is JSON (the comparison is not)."""
    lines = [f"{key}: {value}" for key, value in entry.items() if key != "body"]
    try:
        lines += json.dumps(json.loads(entry["body"]), indent=1, ensure_ascii=False).splitlines()
    except ValueError:
        lines += entry["body"].splitlines()
    return lines


def uncovered_operations(schema_json: str, calls: list[Call]) -> list[str]:
    """The schema's operations that no call exercises: a new endpoint must join the golden."""
    missing = []
    for template, operations in json.loads(schema_json)["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method in operations:
            if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE") and not any(
                call.method == method.upper() and pattern.match(call.path.split("?")[0]) for call in calls
            ):
                missing.append(f"{method.upper()} {template}")
    return missing


@pytest.mark.usefixtures(fast_hashing.__name__)  # password hashes appear in no response
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_api_response_on_the_demo_world_matches_the_golden_file() -> None:
    with time_machine.travel(FROZEN_AT, tick=False):
        company, other, key = build_world()
        calls = calls_for(company, other)
        norm = normaliser([company, other])
        clients = {"token": APIClient(), "none": APIClient(), "bad-token": APIClient()}
        clients["token"].credentials(HTTP_AUTHORIZATION=f"Token {key}")
        clients["bad-token"].credentials(HTTP_AUTHORIZATION="Token mtc_not-a-real-token")
        actual = {call.name: record(clients[call.auth], call, norm) for call in calls}

    assert len(actual) == len(calls), "call names must be unique"
    assert not uncovered_operations(actual["schema json"]["body"], calls)
    text = json.dumps(actual, indent=1, ensure_ascii=False) + "\n"
    if WRITE_GOLDEN:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
        pytest.skip(f"Wrote {GOLDEN.name} ({len(actual)} responses): review its diff before committing.")

    assert GOLDEN.exists(), f"No golden file: run with MAATCHAA_WRITE_GOLDEN=1 to write {GOLDEN}."
    golden: dict[str, dict[str, Any]] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert list(actual) == list(golden), "the set or order of calls changed"
    changed = [name for name in actual if actual[name] != golden[name]]
    report = []
    for name in changed[:3]:
        diff = difflib.unified_diff(readable(golden[name]), readable(actual[name]), "golden", "now", lineterm="", n=2)
        report.append(f"--- {name}\n" + "\n".join(list(diff)[:60]))
    assert not changed, f"{len(changed)} response(s) differ from {GOLDEN.name}: {changed}\n" + "\n".join(report)
    # The whole file too, byte for byte: the per-call check above is the readable part of this one.
    assert text == GOLDEN.read_text(encoding="utf-8")
