"""HTTP plumbing shared by the YouTube and Shopify emulators: a loopback server on a daemon thread, and replies.

Both emulators are stdlib `ThreadingHTTPServer`s that tests start and stop many times per run, so stopping
must be quick and must never hang, even for a server that was never started.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# serve_forever() checks for shutdown this often: 0.5 s (the stdlib default) would add that much to
# every test's teardown.
POLL_INTERVAL = 0.05


class BackgroundServer:
    """Serves `httpd` from a daemon thread (`start`) or the calling thread (`serve_forever`); `stop` ends it."""

    def __init__(self, httpd: ThreadingHTTPServer, *, name: str) -> None:
        self.httpd = httpd
        self.name = name
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()

    def start(self) -> BackgroundServer:
        self._serving.set()
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": POLL_INTERVAL}, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve until KeyboardInterrupt or `stop()` from another thread; the socket is closed afterwards."""
        self._serving.set()
        try:
            self.httpd.serve_forever(poll_interval=POLL_INTERVAL)
        finally:
            self.httpd.server_close()

    def stop(self) -> None:
        # shutdown() waits for serve_forever() to return, so it would wait forever on a server never started.
        if self._serving.is_set():
            self._serving.clear()
            self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def send_body(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    """A complete response with its Content-Length (keep-alive clients need it); no body for HEAD."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
