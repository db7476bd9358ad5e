from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from matches.models import CreatorDecision, CreatorMatch, Match, OwnChannelGuess
from matches.own_channels import confirm_own_channel_guess, reject_own_channel_guess


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ["product", "video", "similarity_score", "created_at"]
    search_fields = ["product__title", "video__title", "video__channel_title"]
    raw_id_fields = ["product", "video"]


@admin.register(CreatorMatch)
class CreatorMatchAdmin(admin.ModelAdmin):
    list_display = ["product", "rank", "channel", "score", "fit_band", "video_count"]
    list_filter = ["fit_band"]
    search_fields = ["product__title", "channel__title"]
    raw_id_fields = ["product", "channel"]


@admin.register(CreatorDecision)
class CreatorDecisionAdmin(admin.ModelAdmin):
    list_display = ["product", "channel", "status", "decided_by", "updated_at"]
    list_filter = ["status"]
    raw_id_fields = ["product", "channel"]


@admin.register(OwnChannelGuess)
class OwnChannelGuessAdmin(admin.ModelAdmin):
    """Channels taken for a brand's own by their name; "undo" ranks them again (matches/own_channels.py)."""

    list_display = ["channel_id", "company", "matched_name", "source", "kept_out", "rejected_at", "created_at"]
    list_filter = ["source", ("rejected_at", admin.EmptyFieldListFilter)]
    search_fields = ["channel_id", "matched_name", "company__name"]
    raw_id_fields = ["company", "rejected_by"]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["undo", "keep_out"]

    @admin.display(boolean=True, description="kept out")
    def kept_out(self, guess: OwnChannelGuess) -> bool:
        return guess.rejected_at is None

    @admin.action(description="Not the brand's channel: rank it again")
    def undo(self, request: HttpRequest, queryset: QuerySet[OwnChannelGuess]) -> None:
        for guess in queryset.select_related("company"):
            reject_own_channel_guess(company=guess.company, channel_id=guess.channel_id, user=request.user)
        self.message_user(request, f"{queryset.count()} channel(s) ranked again.")

    @admin.action(description="The brand's channel: keep it out")
    def keep_out(self, request: HttpRequest, queryset: QuerySet[OwnChannelGuess]) -> None:
        for guess in queryset.select_related("company"):
            confirm_own_channel_guess(company=guess.company, channel_id=guess.channel_id)
        self.message_user(request, f"{queryset.count()} channel(s) kept out of the rankings.")
