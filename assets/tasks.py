"""Background tasks of the assets app (registered with anchorboard.background)."""
