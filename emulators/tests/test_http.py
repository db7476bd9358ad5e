"""The emulators' shared HTTP plumbing: a loopback server that starts and stops quickly, and full replies."""

from __future__ import annotations

import http.client
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from emulators.http import BackgroundServer, send_body


class _Hello(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        pass

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        send_body(self, 201, b"hello", "text/plain", {"X-Emulator": "yes"})

    do_HEAD = do_GET


def _request(port: int, method: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, "/")
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_started_server_answers_with_status_headers_and_body_and_stops_quickly() -> None:
    server = BackgroundServer(ThreadingHTTPServer(("127.0.0.1", 0), _Hello), name="test-server").start()
    port = server.httpd.server_address[1]
    status, headers, body = _request(port, "GET")
    assert (status, body) == (201, b"hello")
    assert headers["Content-Type"] == "text/plain" and headers["Content-Length"] == "5"
    assert headers["X-Emulator"] == "yes"
    began = time.monotonic()
    server.stop()
    assert time.monotonic() - began < 1


def test_a_head_request_gets_the_length_but_no_body() -> None:
    server = BackgroundServer(ThreadingHTTPServer(("127.0.0.1", 0), _Hello), name="test-server").start()
    try:
        status, headers, body = _request(server.httpd.server_address[1], "HEAD")
    finally:
        server.stop()
    assert (status, headers["Content-Length"], body) == (201, "5", b"")


def test_stopping_a_server_never_started_returns_at_once_and_frees_the_port() -> None:
    server = BackgroundServer(ThreadingHTTPServer(("127.0.0.1", 0), _Hello), name="test-server")
    server.stop()
    assert server.httpd.socket.fileno() == -1
