from django.apps import AppConfig


class PilotConfig(AppConfig):
    """Pilot runs are their own app (label ``pilot``) so their table and migrations live
    with the room (canvas/pilot/migrations)."""

    name = "canvas.pilot"
    label = "pilot"
    verbose_name = "Pilot runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers "canvas.pilot.advance" with foundation.background, the upkeep chore
        # that advances active runs and the receiver that keeps a latency test's C jobs going.
        from canvas.pilot import tasks  # noqa: F401
