"""python manage.py create_api_token EMAIL: an API token for a member's scripts."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken
from accounts.services import issue_api_token


class Command(BaseCommand):
    help = (
        "Make an API token for a user (their email or username) and print it. Scripts send it as "
        "'Authorization: Token <key>'. Only a digest of it is stored, so it is printed this once; "
        "--replace revokes the user's existing token and makes a new one."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("user", help="The member's email address or username")
        parser.add_argument("--replace", action="store_true", help="Revoke the existing token and make a new one")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["user"].strip()
        user = get_user_model().objects.filter(username__iexact=name).first()
        if user is None:
            user = get_user_model().objects.filter(email__iexact=name).order_by("pk").first()
        if user is None:
            raise CommandError(f"No user {name!r}. Sign up at /accounts/signup/ or create one with createsuperuser.")
        if not user.is_active:
            raise CommandError(f"User {name!r} is inactive.")
        existing = ApiToken.objects.filter(user=user).first()
        if existing is not None and not options["replace"]:
            raise CommandError(
                f"{user.get_username()} already has a token (…{existing.last_four}, created "
                f"{existing.created_at:%Y-%m-%d}). It was printed when made and is not stored; "
                "run again with --replace for a new one (the old one stops working)."
            )
        key = issue_api_token(user=user)
        if existing is not None:
            self.stdout.write("Revoked the previous token.")
        if not user.companies.exists():
            self.stdout.write(self.style.WARNING(f"{name} is not a member of any company: the API will answer 403."))
        self.stdout.write(key)
        self.stdout.write(f"Created token for {user.get_username()}: copy it now, it is not shown again.")
