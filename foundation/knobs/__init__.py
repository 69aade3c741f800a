"""Every knob an operator may set: name, type, default and meaning, declared once.

Read them with ``foundation.config.read`` (``from_environment`` before Django exists).
docs/configuration.md is generated from this list (``python -m foundation.config_docs``),
and tests/test_configuration.py holds the code to it: every ``ANCHORBOARD_*``/``DJANGO_*``
name the code mentions is declared here, every declared knob is read somewhere, and nothing
else reads ``os.environ`` or ``getattr(settings, …)``.

Adding a knob: declare it with ``registry.declare`` in its section's module (imported below
in documentation order), read it through ``config.read``, run ``python -m
foundation.config_docs``. Names only — this package imports no app.
"""

from foundation.knobs.registry import check_environment, every, named

# The sections, in documentation order; ``knobs.NAME`` reaches every knob.
# isort: off
from foundation.knobs.deployment import *  # noqa: F403
from foundation.knobs.access import *  # noqa: F403
from foundation.knobs.jobs import *  # noqa: F403
from foundation.knobs.providers import *  # noqa: F403
from foundation.knobs.delivery import *  # noqa: F403
from foundation.knobs.development import *  # noqa: F403
# isort: on

__all__ = ["check_environment", "every", "named"]
