"""`make serve` checks its ports before it starts anything, and names the setting that moves a taken one."""

from __future__ import annotations

import io
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

ROOT = Path(django_settings.BASE_DIR)


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_free_ports_are_printed_for_bin_serve(settings) -> None:
    settings.APP_URL = f"http://127.0.0.1:{_free_port()}"
    settings.YOUTUBE_EMULATOR_PORT, settings.SHOPIFY_EMULATOR_PORT = _free_port(), _free_port()
    out = io.StringIO()
    call_command("serve_ports", stdout=out)
    assert f"YOUTUBE_EMULATOR_PORT={settings.YOUTUBE_EMULATOR_PORT}" in out.getvalue().splitlines()
    assert f"APP_ADDRESS=127.0.0.1:{settings.APP_URL.rsplit(':', 1)[1]}" in out.getvalue().splitlines()


@pytest.mark.parametrize(
    ("setting", "names"),
    [("YOUTUBE_EMULATOR_PORT", "the YouTube emulator"), ("SHOPIFY_EMULATOR_PORT", "the Shopify emulator")],
)
def test_a_taken_emulator_port_names_its_setting(settings, taken_port: int, setting: str, names: str) -> None:
    settings.APP_URL = f"http://127.0.0.1:{_free_port()}"
    settings.YOUTUBE_EMULATOR_PORT, settings.SHOPIFY_EMULATOR_PORT = _free_port(), _free_port()
    setattr(settings, setting, taken_port)
    with pytest.raises(CommandError) as refused:
        call_command("serve_ports", stdout=io.StringIO())
    assert f"Port {taken_port} on 127.0.0.1 is already in use" in str(refused.value)
    assert names in str(refused.value) and setting in str(refused.value)


def test_a_taken_app_port_names_app_url(settings, taken_port: int) -> None:
    settings.APP_URL = f"http://localhost:{taken_port}"
    with pytest.raises(CommandError) as refused:
        call_command("serve_ports", stdout=io.StringIO())
    assert f"Port {taken_port}" in str(refused.value) and "APP_URL" in str(refused.value)


def test_bin_serve_stops_before_starting_anything_when_a_port_is_taken(taken_port: int, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_PORT") and k != "APP_URL"}
    env.update(YOUTUBE_EMULATOR_PORT=str(taken_port), APP_URL=f"http://127.0.0.1:{_free_port()}")
    env["SHOPIFY_EMULATOR_PORT"] = str(_free_port())
    result = subprocess.run(
        [str(ROOT / "bin" / "serve")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert f"Port {taken_port} on 127.0.0.1 is already in use" in result.stderr
    assert "YOUTUBE_EMULATOR_PORT" in result.stderr
    assert "Maatchaa:" not in result.stdout  # nothing claimed to be ready
