from django.apps import AppConfig


class PipelineConfig(AppConfig):
    """The one owner of discovery runs: triggers, the scheduled cycle and its quota plan, django-q2 tasks."""

    name = "pipeline"
    verbose_name = "Discovery runs"

    def ready(self) -> None:
        from pipeline import receivers  # noqa: F401  (immediate discovery after a catalog change)
