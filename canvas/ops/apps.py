from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations are their own app (label ``ops``) so the roll-up tables and their
    migrations live with the room (canvas/ops/migrations)."""

    name = "canvas.ops"
    label = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the roll-up chore with the workers' upkeep (canvas.jobs.upkeep).
        from canvas.ops import upkeep  # noqa: F401
