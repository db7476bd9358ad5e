"""python manage.py create_api_token EMAIL: an API token for a member's scripts."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Print an API token for a user (their email or username). Scripts send it as "
        "'Authorization: Token <key>'. --replace revokes the user's old token first."
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
        if options["replace"]:
            revoked = Token.objects.filter(user=user).delete()[0]
            if revoked:
                self.stdout.write("Revoked the previous token.")
        token, created = Token.objects.get_or_create(user=user)
        if not user.companies.exists():
            self.stdout.write(self.style.WARNING(f"{name} is not a member of any company: the API will answer 403."))
        self.stdout.write(token.key)
        self.stdout.write(f"{'Created' if created else 'Existing'} token for {user.get_username()}.")
