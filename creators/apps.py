from django.apps import AppConfig


class CreatorsConfig(AppConfig):
    name = "creators"
    verbose_name = "Creators"

    def ready(self) -> None:
        # The creators' rows follow the YouTube side's changes through its signals, as matching's do.
        from creators import receivers  # noqa: F401
