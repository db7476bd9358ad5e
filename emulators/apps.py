from django.apps import AppConfig


class EmulatorsConfig(AppConfig):
    """Registered only for its management commands (`youtube_emulator`, `shopify_emulator`)."""

    name = "emulators"
    verbose_name = "Vendor emulators"
