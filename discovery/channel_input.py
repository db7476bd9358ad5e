"""The brand's own channels as a person pastes them: channel links (youtube.com/@name, /channel/UC…), @handles
or channel ids, one per line or separated by commas.

An id is read from the text. A @handle is looked up among the channels Maatchaa already stores (their
customUrl), and otherwise asked of YouTube with channels.list forHandle: one unit from the day's pool,
never a search call (API_FACTS §1.4).
"""

from __future__ import annotations

import re

from accounts.models import Company
from discovery.models import Channel
from discovery.youtube import BreakerOpen, QuotaExhausted, YouTubeConfigError, YouTubeError, get_client
from maatchaa.api import ApplicationError

CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
# YouTube handles: 3 to 30 letters, digits, underscores, hyphens and periods.
HANDLE = re.compile(r"@([A-Za-z0-9_.\-]{3,30})")
HANDLE_URL = re.compile(r"(?:https?://)?(?:www\.|m\.)?youtube\.com/@([A-Za-z0-9_.\-]{3,30})(?:[/?#].*)?\Z", re.I)
MAX_OWN_CHANNELS = 20
HINT = "Paste a channel link (youtube.com/@name or youtube.com/channel/UC…), a @handle or a channel id (UC…)."


def _handle_of(token: str) -> str | None:
    if match := HANDLE_URL.fullmatch(token):
        return "@" + match.group(1)
    if match := HANDLE.fullmatch(token):
        return "@" + match.group(1)
    return None


def _resolve_handle(handle: str, *, company: Company) -> str:
    stored = Channel.objects.filter(custom_url__iexact=handle).values_list("channel_id", flat=True).first()
    if stored:
        return stored
    try:
        found = get_client(company=company).channel_for_handle(handle)
    except YouTubeConfigError:
        raise ApplicationError(
            f"{handle} cannot be looked up here (YouTube is not configured): paste the channel's "
            "youtube.com/channel/UC… link instead.",
            details={"channels": handle},
        ) from None
    except (QuotaExhausted, BreakerOpen):
        raise ApplicationError(
            f"{handle} cannot be looked up today (YouTube's daily allowance is spent): paste the channel's "
            "youtube.com/channel/UC… link instead, or try again tomorrow.",
            status=503,
            details={"channels": handle},
        ) from None
    except YouTubeError as exc:
        raise ApplicationError(
            f"{handle} could not be looked up on YouTube just now ({exc.reason}); try again, or paste the "
            "channel's youtube.com/channel/UC… link.",
            status=503 if not exc.permanent else 400,
            details={"channels": handle},
        ) from None
    if found is None:
        raise ApplicationError(f"YouTube has no channel with the handle {handle}.", details={"channels": handle})
    return found.channel_id


def resolve_channel_input(*, text: str, company: Company) -> list[str]:
    """The channel ids `text` names, in order, without repeats. Raises ApplicationError (4xx) naming what is
    not a channel, or a handle YouTube does not know."""
    ids: list[str] = []
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        if len(token) > 200:
            raise ApplicationError(f"{token[:60]!r}… is too long for a channel. {HINT}", details={"channels": token})
        handle = _handle_of(token)
        if handle is not None:
            channel_id = _resolve_handle(handle, company=company)
        elif found := CHANNEL_ID.search(token):
            channel_id = found.group(0)
        else:
            raise ApplicationError(f"{token[:60]!r} is not a YouTube channel. {HINT}", details={"channels": token})
        if channel_id not in ids:
            ids.append(channel_id)
    if len(ids) > MAX_OWN_CHANNELS:
        raise ApplicationError(f"At most {MAX_OWN_CHANNELS} channels.", details={"channels": len(ids)})
    return ids
