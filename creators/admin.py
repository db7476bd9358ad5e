from django.contrib import admin
from django.http import HttpRequest

from creators.models import (
    ChannelVector,
    CreatorList,
    CreatorNote,
    ListEntry,
    MemberPreference,
    OutreachTemplate,
    RecentUpload,
    StrongBandEntry,
)


@admin.register(CreatorNote)
class CreatorNoteAdmin(admin.ModelAdmin):
    list_display = ["channel", "company", "author", "created_at"]
    list_filter = ["company"]
    raw_id_fields = ["channel", "author"]
    search_fields = ["channel__title", "text"]


@admin.register(RecentUpload)
class RecentUploadAdmin(admin.ModelAdmin):
    list_display = ["title", "channel", "published_at", "fetched_at"]
    raw_id_fields = ["channel"]


class ListEntryInline(admin.TabularInline):
    model = ListEntry
    extra = 0
    raw_id_fields = ["channel", "product", "added_by", "changed_by"]


@admin.register(CreatorList)
class CreatorListAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "created_at"]
    list_filter = ["company"]
    search_fields = ["name"]
    raw_id_fields = ["created_by"]
    inlines = [ListEntryInline]


@admin.register(ListEntry)
class ListEntryAdmin(admin.ModelAdmin):
    list_display = ["channel", "creator_list", "status", "changed_by", "changed_at"]
    list_filter = ["status"]
    raw_id_fields = ["creator_list", "channel", "product", "added_by", "changed_by"]


@admin.register(OutreachTemplate)
class OutreachTemplateAdmin(admin.ModelAdmin):
    list_display = ["company", "subject", "updated_by", "updated_at"]
    raw_id_fields = ["updated_by"]


@admin.register(ChannelVector)
class ChannelVectorAdmin(admin.ModelAdmin):
    list_display = ["channel", "video_count", "embedding_model", "computed_at"]
    exclude = ["embedding"]
    readonly_fields = ["channel", "video_count", "embedding_model", "computed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Computed from a channel's video embeddings (creators/lookalikes.py), never typed in.
        return False


@admin.register(StrongBandEntry)
class StrongBandEntryAdmin(admin.ModelAdmin):
    list_display = ["channel", "product", "score", "entered_at"]
    raw_id_fields = ["channel", "product"]


@admin.register(MemberPreference)
class MemberPreferenceAdmin(admin.ModelAdmin):
    list_display = ["membership", "digest_enabled", "last_products_visit_at", "last_digest_at"]
    raw_id_fields = ["membership"]
