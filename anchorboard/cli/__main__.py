"""``python -m anchorboard.cli``."""

from anchorboard.cli.main import run

run()
