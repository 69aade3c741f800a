"""``manage.py seed_demo``: create the demo team, login and board if they are missing."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from canvas.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo team, user and board (idempotent) and print the demo login."

    def handle(self, *args, **options) -> None:
        result = seed_demo()
        verb = "Created" if result.created else "Found"
        self.stdout.write(f"{verb} demo board “{result.board.name}” ({result.board.pk}).")
        login = result.login
        if login.password:
            self.stdout.write(f"Demo login: {login.username} / {login.password}")
        else:
            self.stdout.write(
                f"Demo login: {login.username} (password changed since it was generated)"
            )
