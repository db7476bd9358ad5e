"""The dashboard's HTML pages (/dashboard/...)."""

from django.urls import path

from web import creator_views, views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("products", views.products_page, name="products"),
    path("products/resync", views.resync, name="resync"),
    path("products/<int:product_id>", views.product_page, name="product"),
    path("products/<int:product_id>/creators/<str:channel_id>/decision", views.decision, name="decision"),
    path("runs", views.runs_page, name="runs"),
    path("settings", views.settings_page, name="settings"),
    path("settings/token", views.create_token, name="create-token"),
    path("settings/channels", views.own_channels, name="own-channels"),
    path("settings/channels/guesses/<str:channel_id>", views.own_channel_guess, name="own-channel-guess"),
    path("settings/company", views.switch_company, name="switch-company"),
    # Creators as relationships (web/creator_views.py).
    path("creators/<str:channel_id>", creator_views.creator_page, name="creator"),
    path("creators/<str:channel_id>/notes", creator_views.add_note, name="creator-notes"),
    path("creators/<str:channel_id>/notes/<int:note_id>/delete", creator_views.delete_note, name="creator-note-delete"),
    path("creators/<str:channel_id>/recent-uploads", creator_views.recent_uploads, name="creator-uploads"),
    path("lists", creator_views.lists_page, name="lists"),
    path("lists/add", creator_views.add_entry, name="list-add"),
    path("lists/<int:list_id>", creator_views.list_page, name="list"),
    path("lists/<int:list_id>/edit", creator_views.list_edit, name="list-edit"),
    path("lists/<int:list_id>/delete", creator_views.list_delete, name="list-delete"),
    path("lists/<int:list_id>/entries/<int:entry_id>", creator_views.entry_update, name="list-entry"),
    path("lists/<int:list_id>/entries/<int:entry_id>/remove", creator_views.entry_remove, name="list-entry-remove"),
    path("creators/<str:channel_id>/draft", creator_views.draft_page, name="creator-draft"),
    path("creators/<str:channel_id>/contacted", creator_views.contacted, name="creator-contacted"),
    path("settings/outreach", creator_views.outreach_template, name="outreach-template"),
    path("creators/<str:channel_id>/lookalikes", creator_views.lookalikes_page, name="creator-lookalikes"),
    path("settings/digest", creator_views.digest, name="digest"),
]
