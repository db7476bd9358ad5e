"""`qcluster` on the embedded PostgreSQL, as `make demo` and local development run it (no DATABASE_URL).

The embedded server stops when the last process that started it exits, at interpreter exit. django-q2's
command returns while its cluster runs and leaves the waiting to interpreter exit, so without our
wrapper's wait the database stopped under the cluster a second after it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def test_qcluster_on_the_embedded_database_runs_its_first_cycle_and_stops_the_server_when_it_stops():
    # The server runs as an unprivileged user when we are root: its data directory must be reachable.
    pgdata = Path(tempfile.mkdtemp(prefix="maatchaa-qcluster-", dir="/tmp"))
    pgdata.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        EMBEDDED_PGDATA=str(pgdata / "pg"),
        MAATCHAA_DEV="true",
        REDIS_URL="",
        Q_WORKERS="1",
        WORKER_CYCLE_INTERVAL_MINUTES="1440",
        PYTHONUNBUFFERED="1",
    )
    output = pgdata / "qcluster.log"
    process = None
    try:
        subprocess.run([sys.executable, str(MANAGE), "migrate", "-v0"], env=env, check=True, timeout=120)
        with output.open("w") as handle:
            process = subprocess.Popen(
                [sys.executable, str(MANAGE), "qcluster"],
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                cwd=MANAGE.parent,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while "📈 Cycle #" not in output.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, output.read_text()[-3000:]
            time.sleep(0.3)
        time.sleep(2)  # django-q2's pusher and monitor keep using the database meanwhile

        log = output.read_text()
        assert "⚠️  No products found in database" in log
        assert "OperationalError" not in log, log[-3000:]
        assert (pgdata / "pg" / "postmaster.pid").exists()

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        # The last process using the embedded server has gone: the server stops with it.
        deadline = time.monotonic() + 15
        while (pgdata / "pg" / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.3)
        assert not (pgdata / "pg" / "postmaster.pid").exists()
        assert "OperationalError" not in output.read_text()
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        shutil.rmtree(pgdata, ignore_errors=True)
