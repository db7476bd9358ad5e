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
    path("settings/company", views.switch_company, name="switch-company"),
    # Creators as relationships (web/creator_views.py).
    path("creators/<str:channel_id>", creator_views.creator_page, name="creator"),
    path("creators/<str:channel_id>/notes", creator_views.add_note, name="creator-notes"),
    path("creators/<str:channel_id>/notes/<int:note_id>/delete", creator_views.delete_note, name="creator-note-delete"),
    path("creators/<str:channel_id>/recent-uploads", creator_views.recent_uploads, name="creator-uploads"),
]
