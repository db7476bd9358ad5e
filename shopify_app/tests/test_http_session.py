"""maatchaa/lib/http.py: the session factory every outgoing `requests` call goes through."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from maatchaa.lib.http import make_session


class Script:
    """Answers in order from a list of (status, headers); records what arrived."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str]]] = []
        self.seen: list[str] = []
        self.delay = 0.0


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            script.seen.append(self.command)
            time.sleep(script.delay)
            status, headers = script.answers.pop(0) if script.answers else (200, {})
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_GET = do_POST = _answer  # noqa: N815

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def test_every_request_gets_the_default_timeout(server: tuple[str, Script]) -> None:
    url, script = server
    script.delay = 1.0
    started = time.monotonic()
    # urllib3 reports an exhausted read retry as a ConnectionError wrapping the ReadTimeoutError.
    with pytest.raises(requests.RequestException, match="Read timed out"):
        make_session(timeout=0.1, retries=0).get(url)
    assert time.monotonic() - started < 0.8


def test_a_503_on_get_is_retried_honouring_retry_after(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(503, {"Retry-After": "0"}), (429, {"Retry-After": "0"})]
    response = make_session(timeout=5, retries=3, backoff_factor=0).get(url)
    assert response.status_code == 200
    assert script.seen == ["GET", "GET", "GET"]


def test_a_post_is_not_retried_on_503_because_the_server_saw_it(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(503, {"Retry-After": "0"})]
    response = make_session(timeout=5, retries=3, backoff_factor=0).post(url, data=b"x")
    assert response.status_code == 503
    assert script.seen == ["POST"]


def test_a_huge_retry_after_is_capped(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(503, {"Retry-After": "3600"})]
    started = time.monotonic()
    response = make_session(timeout=5, retries=1, backoff_factor=0, retry_after_cap=0.2).get(url)
    assert response.status_code == 200
    assert time.monotonic() - started < 2


def test_connection_errors_are_retried_then_raised() -> None:
    session = make_session(timeout=1, retries=2, backoff_factor=0)
    with pytest.raises(requests.ConnectionError):
        session.get("http://127.0.0.1:9/")  # the discard port: nothing listens
