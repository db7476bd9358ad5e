"""`make serve`'s addresses, checked before anything starts: the app's (from APP_URL) and the emulators'
(YOUTUBE_EMULATOR_PORT, SHOPIFY_EMULATOR_PORT). Prints them as shell assignments for bin/serve, or stops
with a message naming the port that is taken and the setting that moves it."""

from __future__ import annotations

import shlex
import socket
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

LOOPBACK = "127.0.0.1"


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now. SO_REUSEADDR as the servers set it, so a socket of
    an earlier run waiting out TIME_WAIT does not count as taken; a listening one does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def app_address() -> tuple[str, int]:
    """Where runserver listens: APP_URL's host (localhost is the loopback address) and port."""
    parts = urlsplit(settings.APP_URL)
    host = parts.hostname or LOOPBACK
    if host == "localhost":
        host = LOOPBACK
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise CommandError(f"APP_URL has no valid port: {settings.APP_URL!r}.") from None
    return host, port


class Command(BaseCommand):
    help = (
        "Check that make serve's ports are free (the app's from APP_URL, YOUTUBE_EMULATOR_PORT, "
        "SHOPIFY_EMULATOR_PORT) and print them as shell assignments; a taken port stops with its setting."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        app_host, app_port = app_address()
        wanted = [
            ("the web app", app_host, app_port, f"APP_URL (e.g. APP_URL=http://127.0.0.1:{app_port + 1} make serve)"),
            (
                "the YouTube emulator",
                LOOPBACK,
                settings.YOUTUBE_EMULATOR_PORT,
                f"YOUTUBE_EMULATOR_PORT (e.g. YOUTUBE_EMULATOR_PORT={settings.YOUTUBE_EMULATOR_PORT + 10} make serve)",
            ),
            (
                "the Shopify emulator",
                LOOPBACK,
                settings.SHOPIFY_EMULATOR_PORT,
                f"SHOPIFY_EMULATOR_PORT (e.g. SHOPIFY_EMULATOR_PORT={settings.SHOPIFY_EMULATOR_PORT + 10} make serve)",
            ),
        ]
        seen: dict[int, str] = {}
        for what, host, port, setting in wanted:
            if port in seen:
                raise CommandError(f"{what} and {seen[port]} are both set to port {port}: change {setting}.")
            seen[port] = what
            if not port_is_free(host, port):
                raise CommandError(
                    f"Port {port} on {host} is already in use (an earlier `make serve` still running, or another "
                    f"program), so {what} cannot start there. Stop that program, or move {what} with {setting}."
                )
        values = {
            "APP_URL": settings.APP_URL,
            "APP_ADDRESS": f"{app_host}:{app_port}",
            "YOUTUBE_EMULATOR_PORT": str(settings.YOUTUBE_EMULATOR_PORT),
            "SHOPIFY_EMULATOR_PORT": str(settings.SHOPIFY_EMULATOR_PORT),
        }
        for name, value in values.items():
            self.stdout.write(f"{name}={shlex.quote(value)}")
