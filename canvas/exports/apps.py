from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Exports are their own app (label ``exports``) so their table and migrations live with
    the room (canvas/exports/migrations)."""

    name = "canvas.exports"
    label = "exports"
    verbose_name = "Exports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers "canvas.exports.run" with foundation.background, the kinds whose writers
        # have landed, and the exports' upkeep chores (recovery, expiry) with the workers.
        from canvas.exports import tasks  # noqa: F401
