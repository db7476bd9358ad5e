"""The session engine with a cache every web process shares (REDIS_URL): Django's cached_db sessions, kept
in accounts.UserSession (see accounts.session_store). Pages read a session from the cache; the API's
authentication reads it from the database with its user, in one statement either way."""

from __future__ import annotations

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDatabaseStore

from accounts.session_store import UserSessionStore


class SessionStore(UserSessionStore, CachedDatabaseStore):
    """Named as Django's engines name theirs: the name is part of the signing salt of the session data."""
