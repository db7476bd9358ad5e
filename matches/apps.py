from django.apps import AppConfig


class MatchesConfig(AppConfig):
    name = "matches"
    verbose_name = "Matches"

    def ready(self) -> None:
        # Matching follows the YouTube side's changes through its signals (discovery imports no app above it).
        from matches import receivers  # noqa: F401
