"""Figures Maatchaa would derive from YouTube's statistics, off unless the operator opted in.

YouTube's Developer Policies (III.E.4.h) forbid new metrics derived from API data ("a score that
factors in likes, total views, or any other API Data") without the derived-metrics opt-in. The one
derived figure Maatchaa has is engagement, (likes + comments) per view, for a video and over a
creator's stored videos. With YOUTUBE_DERIVED_METRICS_ALLOWED off (the default) it is not computed,
shown, exported, filtered or sorted on: the raw counts with their dates stay, and a derived filter is
refused with a 400 that says why. With it on, each derived figure says it was calculated by Maatchaa
from YouTube's statistics (`derived: true`, `calculation`, and the words in its `display`).
"""

from __future__ import annotations

from django.conf import settings

# What a derived figure says it is, in the API, the CSV and on the pages.
CALCULATION = "calculated by Maatchaa from YouTube's statistics: (likes + comments) / views"
DISPLAY_NOTE = "calculated by Maatchaa from YouTube's statistics"
# The fields and filters that exist only with the opt-in (the README and the API schema list them).
DERIVED_FILTERS = ("min_engagement",)
DERIVED_CSV_COLUMNS = ("engagement", "engagement_as_of")

REFUSED = (
    "Engagement is a figure derived from YouTube's statistics, which YouTube's Developer Policies "
    "(III.E.4.h) allow only with the derived-metrics opt-in; this Maatchaa has not opted in "
    "(YOUTUBE_DERIVED_METRICS_ALLOWED is off), so it neither computes nor filters on it."
)


def allowed() -> bool:
    """Whether the operator opted in to derived metrics under YouTube's derived-metrics policy."""
    return bool(settings.YOUTUBE_DERIVED_METRICS_ALLOWED)
