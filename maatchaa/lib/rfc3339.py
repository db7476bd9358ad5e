"""RFC 3339 timestamps as YouTube and Shopify write them (2026-11-28T09:30:00Z).

One formatter and one parser for the YouTube client and both emulators, which each had their own copy.
"""

from __future__ import annotations

from datetime import UTC, datetime


def format_rfc3339(moment: datetime) -> str:
    """`moment` in UTC to the second, with a Z; a naive datetime is taken as UTC, never as local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: str) -> datetime:
    """An aware datetime in UTC; a timestamp without an offset is taken as UTC. ValueError if malformed."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
