from django.apps import AppConfig


class ShopifyAppConfig(AppConfig):
    name = "shopify_app"
    verbose_name = "Companies, shops and products"

    def ready(self) -> None:
        from shopify_app import signals  # noqa: F401  (connects the post-save discovery trigger)
