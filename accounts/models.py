"""The tenant (a brand's company), its members, their API tokens and refused sign-ins.

These models were born in shopify_app and keep its table names (`shopify_app_company`, ...): they moved
to this app without a row copied (migrations accounts/0001 and shopify_app/0007)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone

from maatchaa.models import TimestampedModel


class Company(TimestampedModel):
    """The tenant: a brand. Users reach everything through their memberships."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    # The brand's own YouTube channels are never ranked as creators for its products.
    own_channel_ids = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="companies")

    class Meta:
        db_table = "shopify_app_company"  # the table it had in shopify_app: moved without copying a row
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimestampedModel):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        db_table = "shopify_app_membership"
        constraints = [models.UniqueConstraint(fields=["user", "company"], name="membership_unique_user_company")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class ApiToken(models.Model):
    """A member's API token, stored as the SHA-256 of its key: the key is shown once, when issued, and
    a copy of the database holds nothing a script could authenticate with (accounts/services.py)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True)
    # Enough to tell tokens apart on the settings page, far too little to guess the rest.
    last_four = models.CharField(max_length=4)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "shopify_app_apitoken"
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"…{self.last_four} ({self.user})"


class SignInFailure(models.Model):
    """A refused sign-in, by the email it was for: enough of them within the window lock that email's
    sign-in for a while (accounts/services.py), in every web process at once. Rows older than the window
    are deleted as new ones come."""

    username = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "shopify_app_signinfailure"
        indexes = [models.Index(fields=["username", "created_at"], name="signinfailure_user_time_idx")]

    def __str__(self) -> str:
        return f"{self.username} at {self.created_at:%Y-%m-%d %H:%M}"


class UserSession(AbstractBaseSession):
    """A Django session (key, signed data, expiry) with the signed-in user's id beside its data.

    Written by accounts.session_store from the session's own data on every save (None while signed out),
    so the API's authentication reads the session, its user and the user's companies in one statement
    (accounts.session_auth) instead of the session, then the user. Not a foreign key: a deleted user's
    session simply finds no user, as with Django's own table."""

    user_id = models.IntegerField(null=True, db_index=True)

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        from accounts.session_store import SessionStore

        return SessionStore
