"""What every benchmark shares: a throwaway database, timing statistics, the JSON result file.

Benchmarks never touch the developer's data: each creates its own database (`bench_<name>`) on the
configured server (the embedded one unless DATABASE_URL is set), migrates it and drops it at the end.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"


def setup_django(*, database: str) -> None:
    """Configure Django to use the database `database` (created by `throwaway_database`)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maatchaa.settings")
    os.environ.setdefault("MAATCHAA_DEV", "true")
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from django.conf import settings

    # Connections are made lazily from settings.DATABASES, so renaming before setup() is enough.
    settings.DATABASES["default"]["NAME"] = database
    import django

    django.setup()


@contextmanager
def throwaway_database(*, database: str, keep: bool = False) -> Iterator[None]:
    """Create `database` afresh, migrate it, yield, and drop it (unless keep)."""
    from django.core.management import call_command
    from django.db import connection, connections

    if not database.replace("_", "").isalnum():
        raise ValueError(f"Unsupported database name {database!r}")
    _drop(database)
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        log(f"database {database}: created and migrated in {time.perf_counter() - started:.1f} s")
        yield
    finally:
        connections.close_all()
        if keep:
            log(f"database {database} kept (--keep-db)")
        else:
            _drop(database)
            log(f"database {database}: dropped")


def _drop(database: str) -> None:
    from django.db import connection

    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def log(message: str) -> None:
    print(message, flush=True)


@dataclass(frozen=True)
class Latency:
    """Milliseconds over repeated runs."""

    samples: int
    p50_ms: float
    p95_ms: float
    mean_ms: float

    def as_dict(self) -> dict[str, float]:
        return {
            "samples": self.samples,
            "p50_ms": round(self.p50_ms, 3),
            "p95_ms": round(self.p95_ms, 3),
            "mean_ms": round(self.mean_ms, 3),
        }


def latency(samples_ms: list[float]) -> Latency:
    ordered = sorted(samples_ms)
    return Latency(
        samples=len(ordered),
        p50_ms=percentile(ordered, 50),
        p95_ms=percentile(ordered, 95),
        mean_ms=statistics.fmean(ordered),
    )


def percentile(ordered: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on an already sorted list."""
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * pct / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def time_ms(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return (time.perf_counter() - started) * 1000, value


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def machine() -> dict[str, Any]:
    memory_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        # Timings on a shared machine mean little without the load they were taken under.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def git_state() -> dict[str, Any]:
    """The commit measured, and whether the checkout had uncommitted changes to code it runs."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = [
        line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line.endswith(".py")
    ]
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted_python_files": changed}


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Write bench/results/<name>.json (the latest) and a timestamped copy; return the latest's path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    payload = {
        "benchmark": name,
        "finished_at": now.isoformat(timespec="seconds"),
        "machine": machine(),
        "git": git_state(),
        **results,
    }
    text = json.dumps(payload, indent=2, default=str)
    latest = RESULTS_DIR / f"{name}.json"
    latest.write_text(text)
    (RESULTS_DIR / f"{name}-{now:%Y%m%dT%H%M%SZ}.json").write_text(text)
    return latest


def shared_dir() -> Path:
    from django.conf import settings

    return Path(settings.SHARED_DATA_DIR)


def table(rows: list[list[str]]) -> str:
    """A plain text table: first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append(
            "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        )
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


@dataclass(frozen=True)
class _Deferred:
    constraints: list[tuple[str, str]]  # (name, definition)
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX ...)


@contextmanager
def bulk_load(cursor: Any, tables: list[str]) -> Iterator[None]:
    """Drop the tables' secondary indexes, unique and foreign-key constraints; rebuild them after.

    Loading into bare tables and indexing afterwards is many times faster than maintaining every
    index row by row. The primary keys stay (other tables' foreign keys hang on them). Required
    columns the loader does not fill get a database default for the load (the ORM always fills them).
    """
    deferred: dict[str, _Deferred] = {}
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'x') ORDER BY contype DESC",
            [table],
        )
        constraints = list(cursor.fetchall())
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [table],
        )
        indexes = list(cursor.fetchall())
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        deferred[table] = _Deferred(constraints=constraints, indexes=indexes)
    yield
    cursor.execute("SET maintenance_work_mem = '1GB'")
    for table, saved in deferred.items():
        started = time.perf_counter()
        # Unique constraints (they build their own index) before foreign keys, as pg_dump orders them.
        for name, definition in sorted(saved.constraints, key=lambda item: item[1].startswith("FOREIGN")):
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for _, definition in saved.indexes:
            cursor.execute(definition)
        cursor.execute(f'ANALYZE "{table}"')
        log(
            f"  {table}: {len(saved.indexes)} indexes and {len(saved.constraints)} constraints rebuilt in {time.perf_counter() - started:.1f} s"
        )


def default_required_columns(cursor: Any, table: str, *, filled: set[str]) -> None:
    """Give every NOT NULL column without a default, other than `filled`, an empty default for COPY."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    empty = {
        "ARRAY": "'{}'",
        "jsonb": "'{}'::jsonb",
        "boolean": "false",
        "timestamp with time zone": "now()",
        "date": "current_date",
        "integer": "0",
        "bigint": "0",
        "smallint": "0",
        "double precision": "0",
        "numeric": "0",
        "uuid": "gen_random_uuid()",
    }
    for column, data_type in cursor.fetchall():
        if column in filled:
            continue
        cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET DEFAULT {empty.get(data_type, chr(39) * 2)}')
