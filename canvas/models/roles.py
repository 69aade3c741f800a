"""The four board roles, ordered from most to least powerful."""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"

    @property
    def rank(self) -> int:
        """Higher is more powerful; used to compare a role with a permission's minimum."""
        return _RANK[self.value]


_RANK = {"owner": 40, "editor": 30, "reviewer": 20, "viewer": 10}
