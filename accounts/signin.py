"""One sign-in lockout for every way in (/accounts/login/, /admin/login/, anything that calls authenticate()).

Ten refused sign-ins for one email within 15 minutes lock that email's sign-in, right password or not, until
the oldest leaves the window. LockoutBackend is the authentication backend every password goes through: it
counts and decides under a per-email lock *before* checking the password, reserving the attempt as a failure
that a right password then takes back. Forty concurrent guesses therefore get exactly ten password checks;
counting after the check let 29 through.

The admin's "Sign in failures" unlocks an email (deleting its rows), and so does a password reset.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import SignInFailure

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SIGN_IN_FAILURE_LIMIT = 10
SIGN_IN_WINDOW = timedelta(minutes=15)
# Longer passwords are refused before any hashing (a megabyte is not a password, and it costs to hash).
PASSWORD_MAX_LENGTH = 4096
# pg_advisory_xact_lock(namespace, key): the namespace keeps these locks apart from any other advisory lock.
_LOCK_NAMESPACE = 0x5133_1A7E
# Set on the request by LockoutBackend when it refused a locked email: how long the lock still holds.
LOCKED_ATTRIBUTE = "sign_in_locked_for"


def sign_in_name(raw: object) -> str:
    """The email a sign-in is counted under: as typed, trimmed, lower-cased (sign-up stores emails so),
    without U+0000 (PostgreSQL cannot store or compare it) and at most as long as the column."""
    return str(raw or "").strip().lower().replace("\x00", "")[:254]


def sign_in_locked_for(*, username: str) -> timedelta | None:
    """How long this email's sign-in stays locked, or None when it may try."""
    since = timezone.now() - SIGN_IN_WINDOW
    recent = list(
        SignInFailure.objects.filter(username=username, created_at__gte=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:SIGN_IN_FAILURE_LIMIT]
    )
    if len(recent) < SIGN_IN_FAILURE_LIMIT:
        return None
    return recent[-1] + SIGN_IN_WINDOW - timezone.now()


def record_sign_in_failure(*, username: str) -> SignInFailure:
    now = timezone.now()
    SignInFailure.objects.filter(created_at__lt=now - SIGN_IN_WINDOW).delete()
    return SignInFailure.objects.create(username=username[:254], created_at=now)


def clear_sign_in_failures(*, username: str) -> None:
    SignInFailure.objects.filter(username=username).delete()


def claim_sign_in_attempt(*, username: str) -> SignInFailure | timedelta:
    """Count and decide in one critical section per email: the remaining lock time when the email is locked,
    else a failure recorded in advance for the attempt about to be checked (delete it if the password is right).

    The transaction-scoped advisory lock serialises claims for one email across every web process; each claim
    counts with a fresh snapshot after taking it, so concurrent claims see each other's rows."""
    key = int.from_bytes(hashlib.sha256(username.encode()).digest()[:4], "big", signed=True)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, key])
        locked = sign_in_locked_for(username=username)
        if locked is not None:
            return locked
        return record_sign_in_failure(username=username)


def locked_message(locked: timedelta) -> str:
    minutes = max(1, -(-int(locked.total_seconds()) // 60))
    return f"Too many failed sign-ins for this email. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


class LockoutBackend(ModelBackend):
    """Django's ModelBackend behind the lockout. Settings keep ModelBackend listed after it only so sessions
    signed in through it stay valid; this backend ends every password check itself (PermissionDenied stops
    authenticate() at once), so ModelBackend never checks a password on its own."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        name = sign_in_name(username)
        attempt = claim_sign_in_attempt(username=name)
        if isinstance(attempt, timedelta):
            if request is not None:
                setattr(request, LOCKED_ATTRIBUTE, attempt)
            raise PermissionDenied("sign-in locked")
        user = None
        if len(password) <= PASSWORD_MAX_LENGTH and "\x00" not in username:
            user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            raise PermissionDenied("wrong email or password")  # the claimed attempt stays, as this failure
        clear_sign_in_failures(username=name)
        return user

    async def aauthenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        # ModelBackend's async version checks the password on its own: through the lockout here too.
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)


class LockoutFormMixin:
    """For an AuthenticationForm: a locked email is told so (and for how long), not "wrong password"."""

    request: HttpRequest | None

    def get_invalid_login_error(self) -> ValidationError:
        locked = getattr(self.request, LOCKED_ATTRIBUTE, None)
        if isinstance(locked, timedelta):
            return ValidationError(locked_message(locked), code="locked")
        return super().get_invalid_login_error()  # type: ignore[misc]


class AdminSignInForm(LockoutFormMixin, AdminAuthenticationForm):
    """/admin/login/'s form: the same lockout and message as /accounts/login/."""


class EmailSignInForm(LockoutFormMixin, AuthenticationForm):
    """Base of the members' sign-in form (accounts/forms.py)."""


class MaximumLengthValidator:
    """AUTH_PASSWORD_VALIDATORS: Django's own validators accept a megabyte."""

    def __init__(self, max_length: int = PASSWORD_MAX_LENGTH) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: at most {self.max_length} characters.",
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return f"Your password can be at most {self.max_length} characters."
