"""python manage.py forget_channel CHANNEL_ID: a creator's deletion request, handled at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from discovery.retention import UnknownChannel, forget_channel


class Command(BaseCommand):
    help = (
        "Delete everything stored about a YouTube channel (its videos, matches, creator matches and "
        "marketers' decisions) at once, and add it to the suppression list so that discovery never "
        "stores it again. Use for a creator's deletion request (YouTube Developer Policies III.E.4.g)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("channel_id", help="The channel's id, UC followed by 22 characters.")
        parser.add_argument(
            "--suppress-unknown",
            action="store_true",
            help="Suppress the id even if nothing about it is stored yet (a creator asking ahead).",
        )
        parser.add_argument("--reason", default="", help="Why, for the record (e.g. 'creator's e-mail of 2026-11-28').")

    def handle(self, *args: Any, **options: Any) -> None:
        channel_id = options["channel_id"]
        self.stdout.write(f"Forgetting channel {channel_id}...")
        try:
            result = forget_channel(
                channel_id=channel_id, reason=options["reason"], suppress_unknown=options["suppress_unknown"]
            )
        except UnknownChannel as exc:
            raise CommandError(str(exc)) from None
        name = f"{result.title} ({result.channel_id})" if result.title else result.channel_id
        if result.already_suppressed and not (result.deleted_anything or result.title):
            self.stdout.write(f"{name} was already forgotten; nothing is stored about it.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Forgot {name}: deleted {result.deleted_text()}; it is suppressed and will not be stored again."
            )
        )
