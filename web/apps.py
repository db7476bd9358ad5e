from django.apps import AppConfig


class WebConfig(AppConfig):
    """The dashboard's pages and the DRF API: what people and scripts see, on top of every other app."""

    name = "web"
    verbose_name = "Dashboard and API"
