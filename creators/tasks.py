"""django-q2 tasks of the creators app: thin wrappers that call one service.

pipeline/schedules.py declares the schedule by this function's dotted path: rename only together.
"""

from __future__ import annotations

from django.utils import timezone

from creators.whats_new import send_weekly_digests


def weekly_digest() -> str:
    """The daily "maatchaa-weekly-digest" schedule: members due their weekly what's-new email get it."""
    return send_weekly_digests(now=timezone.now()).summary()
