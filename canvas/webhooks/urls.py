"""Routes of the webhooks page and its actions (included by canvas.urls)."""

from django.urls import path

from canvas.webhooks import pages

urlpatterns = [
    path("teams/<uuid:team_id>/webhooks/", pages.webhooks_page, name="team-webhooks"),
    path("teams/<uuid:team_id>/webhooks/add/", pages.add_webhook, name="webhook-add"),
    path("webhooks/<uuid:endpoint_id>/toggle/", pages.toggle_webhook, name="webhook-toggle"),
    path("webhooks/<uuid:endpoint_id>/secret/", pages.roll_secret, name="webhook-roll"),
    path("webhooks/<uuid:endpoint_id>/delete/", pages.delete_webhook, name="webhook-delete"),
    path(
        "webhook-deliveries/<uuid:delivery_id>/resend/",
        pages.resend_delivery,
        name="webhook-resend",
    ),
]
