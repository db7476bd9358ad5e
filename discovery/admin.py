from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from discovery import retention
from discovery.models import Channel, CompanyQuotaDay, QuotaDay, RetentionRun, SearchQuery, SuppressedChannel, Video
from maatchaa.lib.humanize import stat_label


class RetentionSummaryMixin:
    """Shows on the changelist how old the oldest stored YouTube record is and what retention last did."""

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "GET":
            messages.info(request, retention.retention_summary())
        return super().changelist_view(request, extra_context)  # type: ignore[misc]


@admin.register(Channel)
class ChannelAdmin(RetentionSummaryMixin, admin.ModelAdmin):
    list_display = ["title", "channel_id", "country", "subscribers", "fetched_at"]
    list_filter = ["country", "statistics_emulated"]
    search_fields = ["title", "channel_id", "custom_url"]
    actions = ["forget_channels"]
    # YouTube's counts appear only with the day they were fetched, on the form too (III.E.4.f).
    exclude = ["subscriber_count", "video_count", "view_count"]
    readonly_fields = ["subscribers", "channel_videos", "channel_views", "fetched_at"]

    @admin.display(description="Subscribers", ordering="subscriber_count")
    def subscribers(self, channel: Channel) -> str:
        # Counts are shown with the day they were fetched (YouTube policy III.E.4.f).
        label = stat_label(
            channel.subscriber_count,
            "subscribers",
            as_of=channel.fetched_at,
            now=timezone.now(),
            hidden=channel.hidden_subscriber_count,
        )
        return f"{label} (emulated)" if channel.statistics_emulated else label

    @admin.display(description="Videos")
    def channel_videos(self, channel: Channel) -> str:
        return stat_label(channel.video_count, "videos", as_of=channel.fetched_at, now=timezone.now())

    @admin.display(description="Views")
    def channel_views(self, channel: Channel) -> str:
        return stat_label(channel.view_count, "views", as_of=channel.fetched_at, now=timezone.now())

    @admin.action(description="Forget channel (deletion request)", permissions=["delete"])
    def forget_channels(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        # A creator's deletion request: everything about the channel goes now, and it is never stored again.
        for channel_id in list(queryset.values_list("channel_id", flat=True)):
            result = retention.forget_channel(channel_id=channel_id, reason=f"admin action by {request.user}")
            self.message_user(
                request,
                f"Forgot {result.title or result.channel_id}: deleted {result.deleted_text()}; suppressed.",
                messages.SUCCESS,
            )


@admin.register(Video)
class VideoAdmin(RetentionSummaryMixin, admin.ModelAdmin):
    list_display = ["title", "channel_title", "published_at", "views", "fetched_at"]
    list_filter = ["language", "category_id"]
    search_fields = ["title", "video_id", "channel_title"]
    # YouTube's counts appear only with the day they were fetched, on the form too (III.E.4.f).
    exclude = ["embedding", "view_count", "like_count", "comment_count"]
    readonly_fields = ["views", "likes", "comments", "fetched_at"]
    raw_id_fields = ["channel"]

    @admin.display(description="Views", ordering="view_count")
    def views(self, video: Video) -> str:
        return stat_label(video.view_count, "views", as_of=video.fetched_at, now=timezone.now())

    @admin.display(description="Likes")
    def likes(self, video: Video) -> str:
        return stat_label(video.like_count, "likes", as_of=video.fetched_at, now=timezone.now())

    @admin.display(description="Comments")
    def comments(self, video: Video) -> str:
        return stat_label(video.comment_count, "comments", as_of=video.fetched_at, now=timezone.now())


@admin.register(SearchQuery)
class SearchQueryAdmin(RetentionSummaryMixin, admin.ModelAdmin):
    list_display = ["query", "params_key", "searched_at"]
    search_fields = ["query"]


@admin.register(QuotaDay)
class QuotaDayAdmin(admin.ModelAdmin):
    list_display = ["day", "search_calls", "units", "breaker_open_until"]


@admin.register(CompanyQuotaDay)
class CompanyQuotaDayAdmin(admin.ModelAdmin):
    list_display = ["day", "company", "search_calls", "units"]
    list_filter = ["day"]


@admin.register(SuppressedChannel)
class SuppressedChannelAdmin(admin.ModelAdmin):
    list_display = ["channel_id", "reason", "created_at"]
    search_fields = ["channel_id"]


@admin.register(RetentionRun)
class RetentionRunAdmin(RetentionSummaryMixin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "videos_refreshed",
        "channels_refreshed",
        "videos_deleted",
        "channels_deleted",
        "units",
    ]
