"""The foundation: the guide's SQL, the match constraint, settings validation, the embedded database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Company
from discovery.models import Channel, Video
from matches.models import Match
from shopify_app.models import Product

ROOT = Path(__file__).resolve().parents[2]

GUIDE_RECENT_MATCHES_SQL = """
SELECT
    p.title AS product,
    v.title AS video,
    v.channel_title AS creator,
    m.similarity_score
FROM product_creator_matches m
JOIN company_products p ON m.product_id = p.id
JOIN creator_videos v ON m.video_id = v.video_id
ORDER BY m.created_at DESC
LIMIT 10;
"""


@pytest.fixture
def one_match(db: None) -> Match:
    company = Company.objects.create(name="Kettle & Leaf")
    product = Product.objects.create(company=company, shopify_id="gid://shopify/Product/1", title="Matcha Whisk Set")
    channel = Channel.objects.create(channel_id="UCtea", title="Tea Time with Aiko")
    video = Video.objects.create(
        video_id="vid00000001", channel=channel, channel_title="Tea Time with Aiko", title="I Tried Every Matcha Whisk"
    )
    return Match.objects.create(product=product, video=video, similarity_score=0.82)


def fetch(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_the_guides_count_queries_run_verbatim(one_match: Match) -> None:
    assert fetch("SELECT COUNT(*) FROM company_products;") == [(1,)]
    assert fetch("SELECT COUNT(*) FROM creator_videos;") == [(1,)]
    assert fetch("SELECT COUNT(*) FROM product_creator_matches;") == [(1,)]


def test_the_guides_recent_matches_query_returns_product_video_creator_and_score(one_match: Match) -> None:
    rows = fetch(GUIDE_RECENT_MATCHES_SQL)
    assert rows == [("Matcha Whisk Set", "I Tried Every Matcha Whisk", "Tea Time with Aiko", pytest.approx(0.82))]


def test_recent_matches_come_newest_first(one_match: Match) -> None:
    other = Video.objects.create(
        video_id="vid00000002", channel=one_match.video.channel, channel_title="Tea Time with Aiko", title="Older one"
    )
    older = Match.objects.create(product=one_match.product, video=other, similarity_score=0.5)
    Match.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert [row[1] for row in fetch(GUIDE_RECENT_MATCHES_SQL)] == ["I Tried Every Matcha Whisk", "Older one"]


def test_the_database_refuses_a_second_match_for_the_same_product_and_video(one_match: Match) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.create(product=one_match.product, video=one_match.video, similarity_score=0.1)
    assert Match.objects.count() == 1


def test_the_database_is_postgresql_with_pgvector(db: None) -> None:
    assert connection.vendor == "postgresql"
    assert fetch("SELECT extname FROM pg_extension WHERE extname = 'vector';") == [("vector",)]
    indexes = dict(fetch("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%embedding_hnsw';"))
    # Products and videos (ranking), and channel vectors (lookalikes, creators/).
    assert set(indexes) == {"product_embedding_hnsw", "video_embedding_hnsw", "channelvector_embedding_hnsw"}
    assert all("hnsw" in d and "vector_cosine_ops" in d for d in indexes.values())


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import django; from django.conf import settings; django.setup(); print(settings.WORKER_PRODUCTS_PER_CYCLE)"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WORKER_", "DEBUG"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "maatchaa.settings", "MAATCHAA_DEV": "true"})
    clean.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("value", ["ten", "0", "-3", "2.5"])
def test_a_bad_worker_setting_stops_startup_and_names_the_variable(value: str) -> None:
    result = _settings_with({"WORKER_PRODUCTS_PER_CYCLE": value})
    assert result.returncode != 0
    assert "WORKER_PRODUCTS_PER_CYCLE" in result.stderr
    assert "Traceback" in result.stderr  # ImproperlyConfigured at import, the message names the variable
    assert "ImproperlyConfigured: WORKER_PRODUCTS_PER_CYCLE" in result.stderr


def test_the_guides_worker_defaults_apply_when_unset() -> None:
    result = _settings_with({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "10"


def test_production_requires_a_secret_key() -> None:
    result = _settings_with({"MAATCHAA_DEV": "false", "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "MAATCHAA_DEV"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "maatchaa.settings",
            "MAATCHAA_DEV": "false",
            "SECRET_KEY": "x" * 64 + "production-like-secret-with-enough-entropy-1234567890",
            "ALLOWED_HOSTS": "maatchaa.example.com",
            "FIELD_ENCRYPTION_KEYS": "ZGV2LW9ubHktZmVybmV0LWtleS1tYWF0Y2hhYS0wMDA=",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.fixture
def pgdata(tmp_path: Path):
    """A fresh data folder inside the project: PostgreSQL runs as another system user when we are root,
    and pytest's own temporary folders (mode 0700, shared by concurrent runs) are not traversable for it."""
    # tmp_path's name is the test's, the same in two runs at once: the pid keeps their servers apart.
    folder = ROOT / ".pgdata-tests" / f"{os.getpid()}-{tmp_path.name}"
    folder.parent.mkdir(exist_ok=True)
    yield folder / "pgdata"
    shutil.rmtree(folder, ignore_errors=True)


def _postgres_pids(pgdata: Path) -> set[int]:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return set()
    pid = int(pid_file.read_text().splitlines()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return set()
    return {pid}


def test_the_embedded_database_starts_on_first_use_and_stops_when_the_process_exits(pgdata: Path) -> None:
    script = textwrap.dedent(
        """
        import django
        from django.db import connection
        django.setup()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            print("answered", cursor.fetchone()[0])
        """
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="maatchaa.settings", MAATCHAA_DEV="true", EMBEDDED_PGDATA=str(pgdata))
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "answered 1" in result.stdout
    assert (pgdata / "PG_VERSION").exists()
    deadline = time.monotonic() + 30
    while _postgres_pids(pgdata) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _postgres_pids(pgdata) == set()


def test_the_embedded_database_stops_even_after_a_process_using_it_was_killed(pgdata: Path) -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="maatchaa.settings", MAATCHAA_DEV="true", EMBEDDED_PGDATA=str(pgdata))
    env.pop("DATABASE_URL", None)
    connect = "import django; from django.db import connection; django.setup(); connection.ensure_connection()"
    # A process that dies by SIGKILL never unregisters itself.
    victim = subprocess.Popen(
        [sys.executable, "-c", connect + "; import time; print('up', flush=True); time.sleep(60)"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert victim.stdout is not None and victim.stdout.readline().strip() == "up"
    victim.kill()
    victim.wait(timeout=10)
    result = subprocess.run(
        [sys.executable, "-c", connect], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 30
    while _postgres_pids(pgdata) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _postgres_pids(pgdata) == set()


def test_the_guides_sql_runs_verbatim_in_dbshell_on_the_embedded_database(pgdata: Path) -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="maatchaa.settings", MAATCHAA_DEV="true", EMBEDDED_PGDATA=str(pgdata))
    env.pop("DATABASE_URL", None)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    sql = (
        "SELECT COUNT(*) FROM company_products;\nSELECT COUNT(*) FROM product_creator_matches;\n"
        + GUIDE_RECENT_MATCHES_SQL
    )
    shell = subprocess.run(
        [sys.executable, "manage.py", "dbshell"],
        cwd=ROOT,
        env=env,
        input=sql,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.count("count") == 2
    assert "product | video | creator | similarity_score" in " ".join(shell.stdout.split())
    assert "(0 rows)" in shell.stdout
