from __future__ import annotations

from django.contrib import admin

from discovery.models import (
    Channel,
    CompanyQuotaDay,
    DiscoveryRun,
    QuotaDay,
    RetentionRun,
    SearchQuery,
    SuppressedChannel,
    Video,
)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["title", "channel_id", "country", "subscriber_count", "fetched_at"]
    list_filter = ["country", "statistics_emulated"]
    search_fields = ["title", "channel_id", "custom_url"]


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ["title", "channel_title", "published_at", "view_count", "fetched_at"]
    list_filter = ["language", "category_id"]
    search_fields = ["title", "video_id", "channel_title"]
    exclude = ["embedding"]
    raw_id_fields = ["channel"]


@admin.register(SearchQuery)
class SearchQueryAdmin(admin.ModelAdmin):
    list_display = ["query", "params_key", "searched_at"]
    search_fields = ["query"]


@admin.register(QuotaDay)
class QuotaDayAdmin(admin.ModelAdmin):
    list_display = ["day", "search_calls", "units", "breaker_open_until"]


@admin.register(CompanyQuotaDay)
class CompanyQuotaDayAdmin(admin.ModelAdmin):
    list_display = ["day", "company", "search_calls", "units"]
    list_filter = ["day"]


@admin.register(DiscoveryRun)
class DiscoveryRunAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "company",
        "trigger",
        "status",
        "products_done",
        "search_calls",
        "units",
        "videos_found",
        "matches_made",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["company__name"]
    raw_id_fields = ["products"]


@admin.register(SuppressedChannel)
class SuppressedChannelAdmin(admin.ModelAdmin):
    list_display = ["channel_id", "reason", "created_at"]
    search_fields = ["channel_id"]


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "videos_refreshed", "channels_refreshed", "videos_deleted", "channels_deleted", "units"]
