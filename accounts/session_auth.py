"""Session authentication for the API in one statement: the signed-in user and the company they act for.

DRF's SessionAuthentication reads `request.user`, which Django loads with the ORM (`ModelBackend.get_user`),
and GET /products then asks for the member's company in a query of its own. Here both come from one plain
statement (bench/api_scale: ~1 ms a request). Everything `django.contrib.auth.get_user` checks is checked
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
from django.utils.crypto import constant_time_compare
from django.utils.functional import empty
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

# Set on the Django request by OneStatementSessionAuthentication: the member's company as
# accounts.tenancy.current_company_id would choose it (None: a member of no company).
COMPANY_ATTRIBUTE = "maatchaa_session_company_id"
TENANCY_SESSION_KEY = "company_id"  # accounts.tenancy.SESSION_KEY (not imported: tenancy imports maatchaa.api)

_FIELDS = [f for f in User._meta.concrete_fields]
_SESSION_USER = f"""
SELECT {", ".join(f'u."{f.column}"' for f in _FIELDS)},
       (SELECT m.company_id FROM shopify_app_membership m
        WHERE m.user_id = u.id
        ORDER BY m.company_id = %s DESC NULLS LAST, m.created_at
        LIMIT 1)
FROM {User._meta.db_table} u
WHERE u.id = %s
"""


def _chosen_company(session: Any) -> uuid.UUID | None:
    chosen = session.get(TENANCY_SESSION_KEY)
    try:
        return uuid.UUID(str(chosen)) if chosen else None
    except ValueError:
        return None


def session_user(request: HttpRequest) -> tuple[User | None, uuid.UUID | None]:
    """The session's user (None if signed out or no longer valid) and their current company id, in one query."""
    session = request.session
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
    with connection.cursor() as cursor:
        cursor.execute(_SESSION_USER, [_chosen_company(session), user_id])
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
    return user, row[len(_FIELDS)]


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
