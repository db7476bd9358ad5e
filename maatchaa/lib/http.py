"""The one way out to the network for `requests`: every session has a default timeout and explicit retries.

Use `make_session(timeout=..., retries=...)` instead of bare `requests.get/post`: a forgotten timeout
hangs a worker forever, and ad-hoc retry loops retry the wrong things (a POST that already reached
the server, a 400 that will never succeed).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

# Idempotent methods only: retrying a POST after the server saw it could apply it twice.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRY_STATUSES = (429, 503)


class _CappedRetry(Retry):
    """Retry that honours Retry-After but never waits longer than `retry_after_cap` seconds.

    An unbounded Retry-After (a hostile or broken server saying "3600") would park a worker for an
    hour inside one call; past the cap the caller gets the 429/503 back and decides.
    """

    retry_after_cap: float = 30.0

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        value = super().get_retry_after(response)
        if value is None:
            return None
        return min(value, self.retry_after_cap)

    def new(self, **kw: Any) -> _CappedRetry:
        retry = super().new(**kw)
        retry.retry_after_cap = self.retry_after_cap
        return retry


class TimeoutSession(requests.Session):
    """A Session whose every request gets `default_timeout` unless the caller passes its own."""

    def __init__(self, *, default_timeout: float) -> None:
        super().__init__()
        self.default_timeout = default_timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


def make_session(
    *,
    timeout: float,
    retries: int,
    status_forcelist: Collection[int] = RETRY_STATUSES,
    allowed_methods: Collection[str] = SAFE_METHODS,
    backoff_factor: float = 0.5,
    retry_after_cap: float = 30.0,
    user_agent: str = "Maatchaa/1.0",
) -> TimeoutSession:
    """A requests.Session with a default timeout and explicit urllib3 retries.

    - Connection errors (nothing reached the server) are retried for every method.
    - Read errors and `status_forcelist` answers (429/503 by default) are retried only for
      `allowed_methods`, honouring Retry-After up to `retry_after_cap` seconds.
    - Other statuses are returned as they are (raise_on_status=False): the vendor module decides.
    Pass `status_forcelist=()` when the caller handles throttling itself (e.g. Shopify's cost-based waits).
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    retry = _CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        allowed_methods=frozenset(m.upper() for m in allowed_methods),
        status_forcelist=frozenset(status_forcelist),
        backoff_factor=backoff_factor,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    retry.retry_after_cap = retry_after_cap
    session = TimeoutSession(default_timeout=timeout)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    return session
