"""A real redis-server for the REDIS_URL tests: Debian's binary (`make redis` installs it), started on a
loopback port in a temporary directory for one test and stopped after it. And a task whose every
delivery leaves a mark in Redis, to count how often a task ran across clusters."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

DELIVERIES = "maatchaa-test:deliveries"


def redis_server_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    for candidate in ("/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("redis-server is not installed (`make redis` installs Debian's; it needs apt and root or sudo)")
    folder = tmp_path / "redis"
    folder.mkdir()
    for _ in range(3):  # the port is free when chosen; another process may take it before the server binds it
        port = _free_port()
        server = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--logfile", str(folder / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while server.poll() is None and time.monotonic() < deadline:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        if server.poll() is None and time.monotonic() < deadline:
            break
        server.kill()
        server.wait(5)
    else:
        log = (folder / "redis.log").read_text() if (folder / "redis.log").exists() else ""
        pytest.fail(f"redis-server did not start:\n{log[-2000:]}")
    try:
        yield url
    finally:
        client.close()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def record_delivery(number: int) -> int:
    """A task for the scale-out test: marks each delivery (its number and the worker's pid) in Redis."""
    time.sleep(0.1)  # long enough for both clusters to take a share
    redis.Redis.from_url(settings.REDIS_URL).rpush(DELIVERIES, f"{number}:{os.getpid()}")
    return number
