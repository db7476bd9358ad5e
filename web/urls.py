"""The dashboard's HTML pages (/dashboard/...)."""

from django.urls import path

from web import views

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
]
