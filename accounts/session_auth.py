"""Session authentication for the API in one statement: the signed-in user and the company they act for.

DRF's SessionAuthentication reads `request.user`, which Django loads with the ORM after the session
(`ModelBackend.get_user`), and GET /products then asks for the member's company in a query of its own:
three statements. Here the session, its user and the user's companies come from one plain statement
(sessions keep the user's id beside their data: accounts.session_store; bench/api_scale). Everything `django.contrib.auth.get_user` checks is checked
the same way: the backend recorded in the session must be one of AUTHENTICATION_BACKENDS, the user active
(`user_can_authenticate`), and the session's hash that of the user's current password (a password change
signs other sessions out), with SECRET_KEY_FALLBACKS honoured and a stale session flushed.

A module of its own, like accounts.authentication: DRF imports it while rest_framework.views is loading.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import empty
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from accounts.models import UserSession
from accounts.session_store import UserSessionStore, signed_in_user_id

# Set on the Django request by OneStatementSessionAuthentication: the member's company as
# accounts.tenancy.current_company_id would choose it (None: a member of no company).
COMPANY_ATTRIBUTE = "maatchaa_session_company_id"
TENANCY_SESSION_KEY = "company_id"  # accounts.tenancy.SESSION_KEY (not imported: tenancy imports maatchaa.api)

_FIELDS = [f for f in User._meta.concrete_fields]
_USER_COLUMNS = ", ".join(f'u."{f.column}"' for f in _FIELDS)
# The user's companies, oldest membership first: the session's choice if it is one of them, else the first
# (accounts.tenancy.current_company_id's rule).
_COMPANIES = "ARRAY(SELECT m.company_id FROM shopify_app_membership m WHERE m.user_id = u.id ORDER BY m.created_at)"
# The session (unexpired), the user its row names and their companies: what a signed-in request needs first.
_SESSION_AND_USER = f"""
SELECT s.session_data, s.user_id, {_USER_COLUMNS}, {_COMPANIES}
FROM {UserSession._meta.db_table} s
LEFT JOIN {User._meta.db_table} u ON u.id = s.user_id
WHERE s.session_key = %s AND s.expire_date > %s
"""
# The user and their companies, for a session loaded before (or by another engine).
_USER = f"SELECT {_USER_COLUMNS}, {_COMPANIES} FROM {User._meta.db_table} u WHERE u.id = %s"


def _chosen_company(session: Any, companies: list[uuid.UUID]) -> uuid.UUID | None:
    chosen = session.get(TENANCY_SESSION_KEY)
    try:
        chosen_id = uuid.UUID(str(chosen)) if chosen else None
    except ValueError:
        chosen_id = None
    if chosen_id in companies:
        return chosen_id
    return companies[0] if companies else None


def _load_with_user(session: Any) -> tuple[Any, ...] | None:
    """Loads the session from accounts_session as the database engine's `load` would, in the statement that
    also reads its user; returns that user's row (columns and companies), or None when there is no user
    to read that way (no session cookie, signed out, another session engine, or a session loaded already)."""
    if not isinstance(session, UserSessionStore) or hasattr(session, "_session_cache") or not session.session_key:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_SESSION_AND_USER, [session.session_key, timezone.now()])
        row = cursor.fetchone()
    if row is None:  # gone or expired: as SessionStore.load, an empty session under no key
        session._session_key = None
        data: dict[str, Any] = {}
    else:
        data = session.decode(row[0])
    # The engine's own cache of the loaded data (SessionBase._get_session reads it), absent from the stubs.
    session._session_cache = data  # type: ignore[attr-defined]
    # The row's user id is written from the data on every save; read the user only if they still agree.
    if row is None or row[1] is None or row[2] is None or signed_in_user_id(data) != row[1]:
        return None
    return row[2:]


def session_user(request: HttpRequest) -> tuple[User | None, uuid.UUID | None]:
    """The session's user (None if signed out or no longer valid) and their current company id: with the
    session itself in one statement when it is not loaded yet, else in one statement after it."""
    session = request.session
    row = _load_with_user(session)
    try:
        user_id = User._meta.pk.to_python(session[auth.SESSION_KEY])
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except (KeyError, ValueError, TypeError):
        return None, None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None, None
    backend = auth.load_backend(backend_path)
    if type(backend).get_user is not ModelBackend.get_user:  # a backend that loads users its own way
        user = backend.get_user(user_id)
        return (user, None) if user is not None else (None, None)
    if row is None:
        with connection.cursor() as cursor:
            cursor.execute(_USER, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None, None
    user = User.from_db(connection.alias, [f.attname for f in _FIELDS], row[: len(_FIELDS)])
    if not backend.user_can_authenticate(user):  # type: ignore[attr-defined]
        return None, None
    # django.contrib.auth.get_user's session hash check, as written there.
    session_hash = session.get(auth.HASH_SESSION_KEY)
    current_hash = user.get_session_auth_hash()
    if not (session_hash and constant_time_compare(session_hash, current_hash)):
        if session_hash and any(
            constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash()
        ):
            session.cycle_key()
            session[auth.HASH_SESSION_KEY] = current_hash
        else:
            session.flush()
            return None, None
    return user, _chosen_company(session, row[len(_FIELDS)])


class OneStatementSessionAuthentication(SessionAuthentication):
    """DRF's SessionAuthentication (CSRF enforced the same way) with the user and company from `session_user`."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        django_request = request._request
        lazy = django_request.__dict__.get("user")
        if getattr(lazy, "_wrapped", empty) is not empty or not hasattr(django_request, "session"):
            return super().authenticate(request)  # already loaded (or no session): nothing to save
        user, company_id = session_user(django_request)
        django_request.user = user or AnonymousUser()
        setattr(django_request, COMPANY_ATTRIBUTE, company_id)
        if user is None or not user.is_active:
            return None
        self.enforce_csrf(request)
        return user, None
