"""End to end: a real `python manage.py qcluster` process against the test database and the emulator.

The subprocess reaches pytest's test database (committed rows: transactional test) through
DATABASE_URL, and YouTube through the emulator running in this process, whose call log therefore
shows what the worker sent. Nothing of ours is faked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django_q.models import OrmQ, Schedule

from matches.models import Match
from pipeline.models import DiscoveryRun
from pipeline.tests.cycles_support import add_products, make_company, write_demo_corpus
from shopify_app.models import Product

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def database_url() -> str:
    """A DATABASE_URL for the database this test uses (the embedded server's socket, or a real host)."""
    params = connection.get_connection_params()
    user = quote(str(params.get("user") or "postgres"))
    password = params.get("password")
    auth = f"{user}:{quote(str(password))}" if password else user
    name = connection.settings_dict["NAME"]
    host = str(params.get("host") or "")
    if host.startswith("/"):
        return f"postgres://{auth}@/{name}?host={quote(host)}"
    port = params.get("port") or 5432
    return f"postgres://{auth}@{host or 'localhost'}:{port}/{name}"


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its exit status is left


def wait_for[T](condition: Callable[[], T | None], *, seconds: float, process: subprocess.Popen, output: Path) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process.poll() is not None:
            pytest.fail(f"qcluster exited early ({process.returncode}):\n{output.read_text()[-4000:]}")
        time.sleep(0.3)
    pytest.fail(f"timed out after {seconds}s; qcluster said:\n{output.read_text()[-4000:]}")


@pytest.fixture
def qcluster(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], tuple[subprocess.Popen, Path]]]:
    started: list[subprocess.Popen] = []

    def start(extra_env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
        output = tmp_path / f"qcluster-{len(started) + 1}.log"  # one log per start: two may run at once
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "MAATCHAA_DEV": "true",
            "REDIS_URL": "",
            "Q_WORKERS": "1",
            "Q_TIMEOUT_SECONDS": "120",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "YOUTUBE_API_URL": settings.YOUTUBE_API_URL,
            "YOUTUBE_API_KEY": settings.YOUTUBE_API_KEY,
            **extra_env,
        }
        handle = output.open("w")
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "qcluster"],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=MANAGE.parent,
            start_new_session=True,  # its own process group: the cleanup below reaches every child
        )
        handle.close()
        started.append(process)
        return process, output

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_a_real_qcluster_fires_the_schedule_discovers_after_a_sync_and_stops_cleanly(
    youtube_emulator_for, tmp_path, qcluster
):
    emulator = youtube_emulator_for(write_demo_corpus(tmp_path))
    company = make_company()
    add_products(company, 2)
    # The products' own sync trigger is not what this test is about: start from an empty queue.
    DiscoveryRun.objects.all().delete()
    OrmQ.objects.all().delete()

    process, output = qcluster(
        {
            "WORKER_CYCLE_INTERVAL_MINUTES": "1440",
            "WORKER_PRODUCTS_PER_CYCLE": "5",
            "WORKER_KEYWORDS_PER_PRODUCT": "2",
            # Each product's two searches exactly; the extra searches of scheduled runs have their own tests.
            "DISCOVERY_EXTRA_SEARCHES": "false",
        }
    )

    # 1. The schedule is upserted at start and fires: a scheduled run completes and matches appear.
    scheduled = wait_for(
        lambda: DiscoveryRun.objects.filter(trigger="schedule", status__in=["succeeded", "failed"]).first(),
        seconds=90,
        process=process,
        output=output,
    )
    assert scheduled.status == "succeeded", scheduled.message
    assert scheduled.products_done == 2
    assert Match.objects.filter(product__company=company).exists()
    assert Schedule.objects.get(name="maatchaa-discovery-cycle").minutes == 1440
    searches = [call for call in emulator.calls if call.resource == "search"]
    assert len(searches) == scheduled.search_calls == 4

    # 2. A product sync is discovered within one run, not one interval.
    (new,) = add_products(company, 1, start=7)
    immediate = wait_for(
        lambda: DiscoveryRun.objects.filter(trigger="immediate", status__in=["succeeded", "failed"]).first(),
        seconds=60,
        process=process,
        output=output,
    )
    assert immediate.status == "succeeded", immediate.message
    assert Match.objects.filter(product=new).exists()
    assert Product.objects.get(pk=new.pk).last_discovered_at is not None

    # 3. SIGTERM stops the cluster and every process it started.
    children = descendants(process.pid)
    assert children, "django-q2 runs its sentinel and workers as child processes"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if running(pid)]

    log = output.read_text()
    for line in (
        "🚀 CREATOR DISCOVERY WORKER STARTED",
        "   • Cycle Interval: 1440 minutes",
        "🔄 CYCLE #",
        f"🚀 IMMEDIATE DISCOVERY TRIGGERED for company: {company.pk}",
        "📊 Found 3 products for immediate discovery",
    ):
        assert line in log


def test_a_cluster_killed_mid_run_keeps_its_results_and_the_next_start_resumes_where_it_stopped(
    youtube_emulator_for, tmp_path, qcluster
):
    emulator = youtube_emulator_for(write_demo_corpus(tmp_path))
    emulator.configure(latency_ms=1500)  # slow YouTube: the kill lands while the run is still searching
    company = make_company()
    products = add_products(company, 3)
    DiscoveryRun.objects.all().delete()
    OrmQ.objects.all().delete()
    env = {"WORKER_CYCLE_INTERVAL_MINUTES": "1440", "WORKER_PRODUCTS_PER_CYCLE": "3"}

    process, output = qcluster(env)

    def running_past_its_first_product() -> DiscoveryRun | None:
        finished = DiscoveryRun.objects.exclude(status__in=DiscoveryRun.ACTIVE_STATUSES).first()
        if finished is not None:
            pytest.fail(f"the run finished before the kill: {finished.status} {finished.message}")
        return DiscoveryRun.objects.filter(trigger="schedule", status="running", products_done__gte=1).first()

    first = wait_for(running_past_its_first_product, seconds=90, process=process, output=output)
    os.killpg(process.pid, signal.SIGKILL)  # no cleanup at all: the row stays 'running'
    process.wait(10)
    first.refresh_from_db()
    assert first.status == "running" and 1 <= first.products_done < 3
    reached = list(Product.objects.filter(company=company, last_discovered_at__isnull=False))
    kept = set(Match.objects.filter(product__in=reached).values_list("pk", flat=True))
    assert kept

    # Fifteen silent minutes later (the heartbeat is aged rather than waited for), the next start
    # marks the run abandoned, and the next cycle takes a product the dead run did not reach.
    assert first.heartbeat_at is not None
    DiscoveryRun.objects.filter(pk=first.pk).update(heartbeat_at=first.heartbeat_at - timedelta(minutes=20))
    Schedule.objects.filter(name="maatchaa-discovery-cycle").update(next_run=first.created_at)
    emulator.configure(latency_ms=0)
    process, output = qcluster({**env, "WORKER_PRODUCTS_PER_CYCLE": "1"})
    second = wait_for(
        lambda: DiscoveryRun.objects.filter(trigger="schedule", status__in=["succeeded", "failed"]).first(),
        seconds=90,
        process=process,
        output=output,
    )
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0

    first.refresh_from_db()
    assert first.status == "abandoned"
    assert "partial results kept" in first.message
    assert second.status == "succeeded", second.message
    not_reached = sorted({p.pk for p in products} - {p.pk for p in reached})
    assert list(second.products.values_list("pk", flat=True)) == not_reached[:1]
    assert kept == set(Match.objects.filter(product__in=reached).values_list("pk", flat=True))


@pytest.mark.parametrize("moment", ["starting.", "running."])
def test_a_cluster_told_to_stop_twice_at_once_still_stops(youtube_emulator, qcluster, moment):
    # Ctrl-C reaches every process in a terminal's group and a supervisor may send SIGTERM as well:
    # django-q2's handler, entered a second time while it holds its stop event's lock, used to hang.
    # Both moments matter: while the cluster waits for its sentinel, and once it runs.
    process, output = qcluster({"WORKER_CYCLE_INTERVAL_MINUTES": "1440"})
    wait_for(lambda: moment in output.read_text(), seconds=60, process=process, output=output)
    children = descendants(process.pid)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0, output.read_text()[-2000:]
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if running(pid)]
