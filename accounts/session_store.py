"""The session engine (SESSION_ENGINE): Django's database sessions, kept in accounts.UserSession.

The same sessions as django.contrib.sessions.backends.db (signed data, expiry, `clearsessions`), with
the signed-in user's id written beside the data, from the data, on every save: accounts.session_auth
reads a session with its user in one statement. accounts.cached_session_store is the same with a
shared cache in front (REDIS_URL).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

from accounts.models import UserSession


def signed_in_user_id(data: dict[str, Any]) -> int | None:
    """The user id django.contrib.auth keeps in a session's data; None when signed out (or not an id)."""
    try:
        return int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None


class UserSessionStore(DatabaseStore):
    """What both engines add to Django's: the model, and the user's id written beside the data."""

    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> UserSession:
        session = cast(UserSession, super().create_model_instance(data))
        session.user_id = signed_in_user_id(data)
        return session


class SessionStore(UserSessionStore):
    """Named as Django's engines name theirs: the name is part of the signing salt of the session data."""
