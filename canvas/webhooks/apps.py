from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Webhooks are their own app (label ``webhooks``) so their tables and migrations live
    with the room (canvas/webhooks/migrations)."""

    name = "canvas.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers "canvas.webhooks.deliver" with foundation.background.
        from canvas.webhooks import tasks  # noqa: F401
