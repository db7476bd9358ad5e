from django.contrib import admin

from creators.models import CreatorNote, RecentUpload


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
