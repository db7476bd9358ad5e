"""REDIS_URL set: django-q2's broker and the sessions' shared cache are Redis, across real processes.

Redis is a real redis-server (Debian's, installed by `make redis`) that each test starts on a loopback
port in its temporary directory and stops after it (pipeline/tests/redis_support.py); without the
binary these tests skip and say why. The qclusters and the "other web process" are real subprocesses
configured only through the environment, as in production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest
import redis
from django.test import Client
from django_q.models import OrmQ

from matches.models import Match
from pipeline.models import DiscoveryRun
from pipeline.tests.cycles_support import add_products, make_company, write_demo_corpus
from pipeline.tests.redis_support import DELIVERIES, redis_url  # noqa: F401 (fixture)
from pipeline.tests.test_qcluster import MANAGE, database_url, descendants, qcluster, wait_for  # noqa: F401 (fixture)
from web.tests.test_views_accounts import PASSWORD, make_member

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def says(output: Path, text: str) -> bool:
    return text in output.read_text()


def manage_py(code: str, *, env: dict[str, str]) -> str:
    """Run `code` in another Django process (manage.py shell), configured by the environment alone."""
    result = subprocess.run(
        [sys.executable, str(MANAGE), "shell", "-c", code],
        env={**os.environ, "MAATCHAA_DEV": "true", "DATABASE_URL": database_url(), **env},
        cwd=MANAGE.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_with_redis_the_cluster_takes_scheduled_and_triggered_discovery_from_it(
    youtube_emulator_for,
    tmp_path,
    qcluster,  # noqa: F811 (fixture)
    redis_url,  # noqa: F811 (fixture)
):
    youtube_emulator_for(write_demo_corpus(tmp_path))
    company = make_company()
    add_products(company, 2)
    DiscoveryRun.objects.all().delete()
    OrmQ.objects.all().delete()
    env = {"REDIS_URL": redis_url, "WORKER_CYCLE_INTERVAL_MINUTES": "1440", "WORKER_PRODUCTS_PER_CYCLE": "5"}

    process, output = qcluster(env)

    # The cycle sent at start went through Redis: it ran, and the database queue never held it.
    scheduled = wait_for(
        lambda: DiscoveryRun.objects.filter(trigger="schedule", status__in=["succeeded", "failed"]).first(),
        seconds=90,
        process=process,
        output=output,
    )
    assert scheduled.status == "succeeded", scheduled.message
    assert Match.objects.filter(product__company=company).exists()
    assert not OrmQ.objects.exists()
    # The cluster reports itself in Redis (django-q2's status keys), where `qmonitor` looks.
    assert redis.Redis.from_url(redis_url).keys("django_q:maatchaa:cluster*")

    # A web process (another process, same REDIS_URL) asks for discovery now: the cluster runs it.
    manage_py(
        "from pipeline.triggers import trigger_discovery; from accounts.models import Company; "
        "from django.db import transaction\n"
        "with transaction.atomic():\n"
        f"    run, created = trigger_discovery(company=Company.objects.get(pk={str(company.pk)!r}), trigger='manual')\n"
        "print(run.pk, created)",
        env={"REDIS_URL": redis_url},
    )
    manual = wait_for(
        lambda: DiscoveryRun.objects.filter(trigger="manual", status__in=["succeeded", "failed"]).first(),
        seconds=60,
        process=process,
        output=output,
    )
    assert manual.status == "succeeded", manual.message
    assert not OrmQ.objects.exists()


def test_with_redis_a_sign_out_in_another_web_process_ends_the_session_here_too(
    settings,
    redis_url,  # noqa: F811 (fixture)
) -> None:
    # This process configured as production with REDIS_URL: sessions read through the shared cache.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    settings.SESSION_ENGINE = "accounts.cached_session_store"
    make_member("ana@juniper.test", "Juniper & Pine Co.")
    client = Client()
    client.post("/accounts/login/", {"username": "ana@juniper.test", "password": PASSWORD})
    assert client.get("/dashboard/products").status_code == 200
    key = client.session.session_key
    assert redis.Redis.from_url(redis_url).keys(f"*{key}*"), "the session is served from Redis"

    # The other process signs the session out: its row and the shared cache's copy go.
    manage_py(
        f"from accounts.cached_session_store import SessionStore\nSessionStore(session_key={key!r}).delete()",
        env={"REDIS_URL": redis_url},
    )

    assert client.get("/dashboard/products")["Location"].startswith("/accounts/login/")


def test_two_clusters_on_one_redis_queue_share_its_tasks_and_run_each_once(
    qcluster,  # noqa: F811 (fixture)
    redis_url,  # noqa: F811 (fixture)
):
    env = {"REDIS_URL": redis_url, "WORKER_CYCLE_INTERVAL_MINUTES": "1440"}
    first, first_log = qcluster(env)
    second, second_log = qcluster(env)
    for process, output in ((first, first_log), (second, second_log)):
        wait_for(partial(says, output, "running."), seconds=60, process=process, output=output)
    total = 40

    # Another process (a web process, say) enqueues the tasks on the shared queue.
    manage_py(
        "from django_q.tasks import async_task\n"
        f"for number in range({total}):\n"
        "    async_task('pipeline.tests.redis_support.record_delivery', number)",
        env={"REDIS_URL": redis_url},
    )
    server = redis.Redis.from_url(redis_url, decode_responses=True)
    wait_for(lambda: server.llen(DELIVERIES) >= total, seconds=90, process=first, output=first_log)
    time.sleep(3)  # a second delivery of any of them would land meanwhile

    deliveries = [str(entry).split(":") for entry in server.lrange(DELIVERIES, 0, -1)]
    numbers = sorted(int(number) for number, _ in deliveries)
    assert numbers == list(range(total)), "every task ran exactly once"
    pids = {int(pid) for _, pid in deliveries}
    assert pids & descendants(first.pid) and pids & descendants(second.pid), "both clusters took a share"
    assert server.llen("django_q:maatchaa:q") == 0
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
