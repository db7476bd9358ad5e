from __future__ import annotations

from django.contrib import admin

from matches.models import CreatorDecision, CreatorMatch, Match


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ["product", "video", "similarity_score", "created_at"]
    search_fields = ["product__title", "video__title", "video__channel_title"]
    raw_id_fields = ["product", "video"]


@admin.register(CreatorMatch)
class CreatorMatchAdmin(admin.ModelAdmin):
    list_display = ["product", "rank", "channel", "score", "video_count"]
    search_fields = ["product__title", "channel__title"]
    raw_id_fields = ["product", "channel"]


@admin.register(CreatorDecision)
class CreatorDecisionAdmin(admin.ModelAdmin):
    list_display = ["product", "channel", "status", "decided_by", "updated_at"]
    list_filter = ["status"]
    raw_id_fields = ["product", "channel"]
