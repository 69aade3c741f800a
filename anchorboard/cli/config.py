"""Where ``anchorboard login`` keeps the server and token, and how a command finds them.

The file is ``config.json`` in the user's config directory (``click.get_app_dir``: on Linux
``$XDG_CONFIG_HOME/anchorboard``, else ``~/.config/anchorboard``), written with mode 0600
since the token is a password. The options ``--server`` / ``--token`` and their environment
variables (read by Typer, see ``main``) win over the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import typer

APP_NAME = "anchorboard"


class ConfigError(Exception):
    """No usable server or token; the message says what to run."""


@dataclass(frozen=True)
class Credentials:
    server: str
    token: str


def config_path() -> Path:
    return Path(typer.get_app_dir(APP_NAME)) / "config.json"


def save(server: str, token: str) -> Path:
    """Write the file readable by its owner only (created so, never widened afterwards)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = json.dumps({"server": server, "token": token}, indent=2) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(data)
    path.chmod(0o600)  # an older file may have been created with wider permissions
    return path


def load(server: str | None, token: str | None) -> Credentials:
    """The server and token to use: the given ones (options or environment), else the file's."""
    stored: dict[str, str] = {}
    path = config_path()
    if path.exists():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"Cannot read {path}: {exc}. Run `anchorboard login` again.") from exc
    server = server or stored.get("server")
    token = token or stored.get("token")
    if not server or not token:
        raise ConfigError(
            "Not logged in: run `anchorboard login --server URL --token TOKEN` "
            "(or set ANCHORBOARD_SERVER and ANCHORBOARD_TOKEN)."
        )
    return Credentials(server=normalise_server(server), token=token)


def normalise_server(server: str) -> str:
    return server.rstrip("/")
