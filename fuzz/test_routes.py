"""Every route of the site (dashboard, API, OAuth, webhooks, accounts, the admin) answers any method, any header
value and any body with a 2xx, 3xx or 4xx: never a 5xx. The routes come from the URL resolver, so a new page is
fuzzed the day it is added.

Each test sends its whole matrix and then reports every 5xx at once, with the first tracebacks: one run shows
everything that is wrong."""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from creators.models import CreatorNote, ListEntry
from fuzz.conftest import FuzzWorld
from pipeline.models import DiscoveryRun

pytestmark = pytest.mark.fuzz

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "FOO"]
# Non-ASCII text arrives in a header as its UTF-8 bytes read as Latin-1 (what WSGI servers hand Django).
NON_ASCII = "é\N{SNOWMAN}\N{PILE OF POO}ñ\u00ff".encode().decode("latin-1")
LONG = "a" * 70_000


def _routes() -> Iterator[str]:
    def walk(patterns: Iterable[URLPattern | URLResolver], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    yield from walk(get_resolver().url_patterns, "")


@dataclass
class Route:
    pattern: str
    paths: list[str] = field(default_factory=list)  # the route with real ids, then with hostile ones

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")


def routes(fw: FuzzWorld) -> list[Route]:
    """Every route with its parameters filled twice: ids that exist (so the view does its work) and values no
    view expects (an int past 64 bits, text PostgreSQL cannot store, non-ASCII, over-long)."""
    world = fw.world
    run = DiscoveryRun.objects.filter(company=world.company).first()
    entry = ListEntry.objects.filter(creator_list__company=world.company).first()
    note = CreatorNote.objects.filter(company=world.company).first()
    real = {
        "product_id": str(world.whisk.pk),
        "run_id": str(run.pk if run else 1),
        "list_id": str(entry.creator_list_id if entry else 1),
        "entry_id": str(entry.pk if entry else 1),
        "note_id": str(note.pk if note else 1),
        "channel_id": world.channels["tea"].channel_id,
        "object_id": str(world.user.pk),
        "id": str(world.user.pk),
        "content_type_id": "1",
        "uidb64": "MQ",
        "token": "set-password",
        "url": "nowhere/",
        "app_label": "shopify_app",
        "rest": "",
    }
    hostile = {
        "product_id": str(2**63),
        "run_id": str(2**70),
        "list_id": str(2**63),
        "entry_id": "0",
        "note_id": str(2**70),
        "channel_id": "%00" + "%C3%A9" * 300,
        "object_id": "%00",
        "id": "%C3%A9",
        "content_type_id": "%00",
        "uidb64": "%C3%A9%00",
        "token": "a" * 3000,
        "url": "%00/",
        "app_label": "shopify_app",
        "rest": "%00/",
    }
    found = []
    for pattern in _routes():
        route = Route(pattern)
        for values in (real, hostile):
            path = re.sub(r"\(\?P<app_label>([^|)]+)[^)]*\)", values["app_label"], pattern)
            path = re.sub(r"\(\?P<url>\.\*\)", values["url"], path)
            # Other regex groups (the old admin URLs' redirects): the value given, else the first alternative.
            path = re.sub(r"\(\?P<(\w+)>([^)]*)\)", lambda m: values.get(m.group(1), m.group(2).split("|")[0]), path)
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], path)
            path = "/" + path.replace("^", "").replace("$", "")
            if path not in route.paths:
                route.paths.append(path)
        found.append(route)
    return found


@dataclass
class Failures:
    """The 5xx answers of one test, grouped by what failed where, each group with one traceback."""

    seen: dict[str, list[str]] = field(default_factory=dict)
    tracebacks: dict[str, str] = field(default_factory=dict)
    sent: int = 0

    def check(self, response: Any, what: str, *, route: str) -> None:
        self.sent += 1
        if response.status_code < 500:
            return
        exc_info = getattr(response, "exc_info", None)
        error = f"{exc_info[0].__name__}: {str(exc_info[1])[:120]!r}" if exc_info else "(no exception)"
        kind = f"{response.status_code} {route} {error}"
        self.seen.setdefault(kind, []).append(what)
        if exc_info and kind not in self.tracebacks:
            self.tracebacks[kind] = "".join(traceback.format_exception(*exc_info))[-2500:]

    def assert_none(self) -> None:
        total = sum(len(whats) for whats in self.seen.values())
        report = [f"{total} of {self.sent} requests answered 5xx, in {len(self.seen)} kinds:"]
        for kind, whats in self.seen.items():
            report.append(f"\n{kind}\n  {len(whats)} requests, e.g. {whats[0][:300]}")
        report.extend(["\nTracebacks:", *list(self.tracebacks.values())[:5]])
        assert not self.seen, "\n".join(report)


def clients(fw: FuzzWorld, *, admin: bool) -> dict[str, Client]:
    """Who asks: nobody, the world's member (a session), and on the admin's routes its superuser. Django's
    test client skips CSRF checks unless asked, so the views themselves see every body; one client enforces
    them, so the CSRF failure page sees the hostile headers too."""
    member = Client(raise_request_exception=False)
    member.force_login(fw.world.user)
    found = {"anonymous": Client(raise_request_exception=False), "member": member}
    found["csrf-enforced"] = Client(raise_request_exception=False, enforce_csrf_checks=True)
    found["csrf-enforced"].force_login(fw.world.user)
    if admin:
        root = Client(raise_request_exception=False)
        root.force_login(fw.superuser)
        found["superuser"] = root
    return found


# The admin's ~150 model routes are Django's code, the same for every model: each gets the methods that
# reach different code (a page, a form post, the method checks), which keeps the stage within CI's minutes.
ADMIN_METHODS = ["GET", "POST", "OPTIONS", "FOO"]  # HEAD runs GET's code


def test_every_route_answers_every_method_without_a_server_error(fuzz_world: FuzzWorld) -> None:
    failures = Failures()
    for route in routes(fuzz_world):
        for who, client in clients(fuzz_world, admin=route.is_admin).items():
            if route.is_admin and who in ("member", "csrf-enforced"):
                continue  # not staff: the admin sends them to its sign-in page, as it does the anonymous client
            for path in route.paths if who != "anonymous" or not route.is_admin else route.paths[:1]:
                for method in ADMIN_METHODS if route.is_admin else METHODS:
                    response = client.generic(method, path, b"", content_type="application/octet-stream")
                    failures.check(response, f"{who} {method} {path[:120]}", route=route.pattern)
    failures.assert_none()


HOSTILE_HEADERS: list[dict[str, str]] = [
    {"Authorization": f"Token {NON_ASCII}"},
    {"Authorization": "Token " + LONG},
    {"Authorization": "Token"},
    {"Authorization": "Token a b c"},
    {"Authorization": f"Basic {NON_ASCII}"},
    {"Authorization": "Basic %%%%"},
    {"Authorization": "Bearer " + NON_ASCII},
    {"Cookie": f"sessionid={NON_ASCII}; csrftoken={NON_ASCII}"},
    {"Cookie": "sessionid=" + LONG},
    {"Cookie": "csrftoken=" + "x" * 64 + "; sessionid=\x00"},
    {"Cookie": '=; ;;="\\";' + NON_ASCII},
    {"Accept": "text/html"},
    {"Accept": "text/csv"},
    {"Accept": f"application/json; q={NON_ASCII}"},
    {"Accept": f"{NON_ASCII}/{NON_ASCII}"},
    {"Accept": "application/json; indent=" + "9" * 400},
    {"Accept": "application/json; indent=-1"},
    {"Accept": "*/*;q=abc," * 2000},
    {"Accept-Language": NON_ASCII * 100},
    {"Accept-Language": "xx-" * 20_000},
    {"Accept-Encoding": LONG},
    {"Content-Type": "multipart/form-data"},
    {"Content-Type": f"multipart/form-data; boundary={NON_ASCII}"},
    {"Content-Type": f"application/json; charset={NON_ASCII}"},
    {"Content-Type": "application/x-www-form-urlencoded; charset=utf-32"},
    # (A Content-Type over 10,000 characters fails in Django before any middleware: maatchaa/wsgi.py refuses
    # it, tested in maatchaa/tests/test_middleware.py, since the test client does not go through wsgi.py.)
    {"Content-Type": "text/plain; charset=" + "a" * 9_900},
    {"Host": f"{NON_ASCII}.example"},
    {"Host": "127.0.0.1:99999999"},
    {"Host": LONG},
    {"X-Forwarded-Proto": NON_ASCII},
    {"X-Forwarded-For": NON_ASCII + "," + LONG},
    {"X-Forwarded-Host": NON_ASCII},
    {"Referer": f"https://{NON_ASCII}/"},
    {"Referer": "https://[::1/"},
    {"Referer": "NaN"},
    {"Origin": "https://[::1"},
    {"Origin": f"http://{NON_ASCII}"},
    {"Origin": "null"},
    {"If-Modified-Since": NON_ASCII},
    {"If-None-Match": LONG},
    {"Range": f"bytes={NON_ASCII}"},
    {"X-Requested-With": "XMLHttpRequest"},
    {"X-CSRFToken": NON_ASCII},
    {"X-Shopify-Hmac-SHA256": NON_ASCII},
    {"X-Shopify-Hmac-SHA256": LONG},
    {"X-Shopify-Topic": NON_ASCII, "X-Shopify-Webhook-Id": NON_ASCII, "X-Shopify-Shop-Domain": NON_ASCII},
    {"X-Shopify-Topic": "products/update", "X-Shopify-Webhook-Id": LONG, "X-Shopify-Triggered-At": NON_ASCII},
    {"User-Agent": NON_ASCII + LONG},
    {"Content-Length": "-1"},
    {"Content-Length": "99999999999999999999"},
    {"Content-Length": NON_ASCII},
]


def _environ(headers: dict[str, str]) -> dict[str, Any]:
    """The headers as WSGI puts them in the environ (Content-Type and Content-Length have no HTTP_ prefix)."""
    environ: dict[str, Any] = {}
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return environ


def site_routes(fw: FuzzWorld) -> list[Route]:
    """The routes outside the admin, and the admin's sign-in: where anybody's headers and bodies land first."""
    return [r for r in routes(fw) if not r.is_admin or r.pattern in ("admin/", "admin/login/", "admin/logout/")]


# Who sends each hostile header how: the member's GET and POST reach the views, the anonymous GET the sign-in
# redirects, and a POST with CSRF enforced the CSRF failure page.
HEADER_SENDERS = [("member", "GET"), ("member", "POST"), ("anonymous", "GET"), ("csrf-enforced", "POST")]


def test_hostile_headers_on_every_route_never_fail_the_server(fuzz_world: FuzzWorld) -> None:
    failures = Failures()
    for route in site_routes(fuzz_world):
        senders = clients(fuzz_world, admin=route.is_admin)
        for number, headers in enumerate(HOSTILE_HEADERS):
            environ = _environ(headers)
            # The other methods take turns, one header each.
            for who, method in [*HEADER_SENDERS, ("member", METHODS[number % len(METHODS)])]:
                response = senders[who].generic(method, route.paths[0], b"x=1", **environ)
                failures.check(response, f"{who} {method} {route.paths[0]} {str(headers)[:80]}", route=route.pattern)
    failures.assert_none()


FIELD_NAMES = [
    "username",
    "password",
    "email",
    "company_name",
    "password1",
    "password2",
    "new_password1",
    "new_password2",
    "old_password",
    "shop",
    "next",
    "status",
    "company_id",
    "company",
    "channels",
    "channel_ids",
    "shop_domain",
    "product_ids",
    "search",
    "page",
    "csrfmiddlewaretoken",
    "action",
    "_selected_action",
    "select_across",
]
HOSTILE_VALUES = [
    "\x00",
    "a\x00b",
    NON_ASCII * 20,
    "x" * 100_000,
    "\ud800",
    "-1",
    "1e309",
    "NaN",
    "9" * 50,
    "../../etc/passwd",
    "https://evil.example/",
    "//evil.example",
    "javascript:alert(1)",
    "' OR 1=1 --",
    "[]",
]

ADMIN_VALUES = [NON_ASCII * 20, "x" * 100_000, "\ud800", "-1", "9" * 50, "[]"]


def _form(value: str) -> bytes:
    from urllib.parse import quote

    encoded = quote(value.encode("utf-8", "surrogatepass"), safe="")
    return "&".join(f"{name}={encoded}" for name in FIELD_NAMES).encode()


HOSTILE_BODIES: list[tuple[str, bytes]] = [
    *[("application/x-www-form-urlencoded", _form(value)) for value in HOSTILE_VALUES],
    ("application/x-www-form-urlencoded", b"%ZZ=%ZZ&\xff\xfe=\xff&username=%C3%28"),
    ("application/x-www-form-urlencoded", b"&".join(b"f%d=1" % i for i in range(5_000))),
    ("application/x-www-form-urlencoded", b"username=" + b"a" * 3_000_000),
    ("multipart/form-data; boundary=xyz", b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n'),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\n\xff\xfe\r\n--xyz--"),
    ("application/json", b"[" * 100_000 + b"]" * 100_000),
    ("application/json", b'{"status": NaN, "company_id": Infinity, "shop_domain": 1e999}'),
    ("application/json", b'{"status": "\\u0000", "company_id": "\\ud800", "shop_domain": "\\u0000"}'),
    ("application/json", b"\xff\xfe\x00{"),
    ("application/json", b"null"),
    ("application/json", b"[]"),
    ("application/json", b'"' + b"a" * 3_000_000 + b'"'),
    ("text/plain", bytes(range(256)) * 10),
]


BODY_SENDERS = [("member", "POST"), ("member", "PUT"), ("anonymous", "POST"), ("csrf-enforced", "POST")]


def test_hostile_bodies_on_every_route_never_fail_the_server(fuzz_world: FuzzWorld) -> None:
    failures = Failures()
    for route in site_routes(fuzz_world):
        senders = clients(fuzz_world, admin=route.is_admin)
        for path in route.paths:
            for content_type, body in HOSTILE_BODIES:
                # An over-size body is refused by size, whoever sends it: once per route is enough.
                for who, method in BODY_SENDERS[:1] if len(body) > 1_000_000 else BODY_SENDERS:
                    response = senders[who].generic(method, path, body, content_type=content_type)
                    failures.check(
                        response, f"{who} {method} {path[:120]} {content_type} {body[:60]!r}", route=route.pattern
                    )
    failures.assert_none()


def test_hostile_query_strings_on_every_route_never_fail_the_server(fuzz_world: FuzzWorld) -> None:
    failures = Failures()
    for route in routes(fuzz_world):
        for who, client in clients(fuzz_world, admin=route.is_admin).items():
            if who == "csrf-enforced" or (route.is_admin and (who != "superuser" or "<" in route.pattern)):
                # CSRF plays no part in a GET. On the admin, the others are sent to its sign-in, which the
                # other tests cover, and an object's pages read no query: its lists, add pages and index do.
                continue
            for value in ADMIN_VALUES if route.is_admin else HOSTILE_VALUES:
                query = _form(value).decode() + "&q=" + _form(value).decode()[:2000] + "&o=" + "1.-9" * 5 + "&p=-1"
                response = client.get(f"{route.paths[0]}?{query}")
                failures.check(response, f"{who} GET {route.paths[0][:120]}?{query[:80]}", route=route.pattern)
    failures.assert_none()
