"""Members and their companies: sign-up, API tokens, the sign-in lockout, and the brand's own channels as typed.

Members sign in with their email address (it is also their username). API clients use tokens instead
of sessions: `python manage.py create_api_token EMAIL` or the button on /dashboard/settings.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Company, Membership
from maatchaa.api import ApplicationError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Recognisable in a leaked file or a commit (secret scanners match on it); the rest is 40 hex digits.
API_TOKEN_PREFIX = "mtc_"
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def sign_up_member(*, company_name: str, email: str, password: str) -> User:
    """Creates a user, their company and the owner membership, all or nothing."""
    email = email.strip().lower()
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=email, email=email, password=password)
        company = Company.objects.create(name=company_name.strip())
        Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)
    return user


CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
MAX_OWN_CHANNELS = 20


def issue_api_token(*, user: User) -> str:
    """A new API token for the user, replacing any previous one; returns the key, which is not stored
    (only its digest is) and so can be shown this once only."""
    key = API_TOKEN_PREFIX + secrets.token_hex(20)
    with transaction.atomic():
        ApiToken.objects.filter(user=user).delete()
        ApiToken.objects.create(user=user, digest=api_token_digest(key), last_four=key[-4:])
    return key


def api_token_digest(key: str) -> str:
    # The key is 160 random bits: a plain SHA-256 is enough (a slow hash guards guessable passwords).
    return hashlib.sha256(key.encode()).hexdigest()


def user_for_api_token(key: str) -> User | None:
    """The active user whose token this is, or None. Marks the token used (at most once a minute, so a
    busy script does not write on every request)."""
    token = ApiToken.objects.select_related("user").filter(digest=api_token_digest(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def parse_channel_ids(text: str) -> list[str]:
    """Channel ids from what a person pastes: ids or youtube.com/channel/... links, any separators.

    Raises ApplicationError naming what is not a channel id (a @handle needs a search call to resolve)."""
    ids: list[str] = []
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        found = CHANNEL_ID.search(token)
        if found is None or len(token) > 200:
            raise ApplicationError(
                f"{token[:60]!r} is not a YouTube channel id (UC followed by 22 characters) or channel link."
            )
        if found.group(0) not in ids:
            ids.append(found.group(0))
    if len(ids) > MAX_OWN_CHANNELS:
        raise ApplicationError(f"At most {MAX_OWN_CHANNELS} channels.")
    return ids
