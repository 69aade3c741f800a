"""Configuration: one reader, every knob declared, documented and settable from the
environment (foundation/config.py, foundation/knobs/, docs/configuration.md)."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from canvas.boards import documents
from canvas.jobs import config as job_config
from canvas.realtime import MessageBudget
from foundation import config, config_docs, knobs

ROOT = Path(__file__).resolve().parent.parent
APPS = ("anchorboard", "foundation", "canvas", "assets")
NAME = re.compile(
    r"\b((?:ANCHORBOARD|DJANGO|AWS|CELERY|REDIS|CACHE|DATABASE|GEMINI|OPENAI|COMFYUI|A1111)"
    r"_[A-Z0-9_]*[A-Z0-9])\b"
)
# Names that look like knobs but are not settable on purpose.
NOT_KNOBS = {
    "DJANGO_SETTINGS_MODULE": "which settings module Django loads",
    "ANCHORBOARD_CELERY_APP": "wiring: where foundation.background finds the Celery app",
    "ANCHORBOARD_DERIVATIVE_SIZES": "fixed preview sizes (a Django setting, not a knob)",
    "REDIS_SOCKET_TIMEOUT": "fixed by the channel layer's blocking pop (settings.py says why)",
    "AWS_S3_MAX_MEMORY_SIZE": "django-storages' own setting, named in a comment",
    "DJANGO_SUPERUSER_USERNAME": "Django's createsuperuser reads it",
    "DJANGO_SUPERUSER_PASSWORD": "Django's createsuperuser reads it",
    "DJANGO_SUPERUSER_EMAIL": "Django's createsuperuser reads it",
    "ANCHORBOARD_SERVER": "the CLI's server (a client's setting, read by Typer, not the server's)",
    "ANCHORBOARD_TOKEN": "the CLI's API token (a client's setting, read by Typer)",
}
DECLARED = {k.name for k in knobs.every()} | {a for k in knobs.every() for a in k.aliases}


def app_sources() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def is_declaration(path: Path) -> bool:
    """The knob declarations themselves (they name every knob; they read none)."""
    return path.parent == ROOT / "foundation" / "knobs"


def names_in_code(path: Path) -> set[str]:
    """Knob-like names in string literals and ``settings.X`` reads (not Python names such
    as ``knobs.GEMINI_MODELS``)."""
    text = path.read_text()
    found = set(re.findall(r"\bsettings\.([A-Z][A-Z0-9_]+)", text))
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.STRING:
            found |= set(NAME.findall(token.string))
    return {n for n in found if NAME.fullmatch(n)}


def test_the_page_lists_every_declared_knob():
    page = config_docs.PAGE.read_text()
    assert config_docs.render(page) == page, (
        "docs/configuration.md is stale: run .venv/bin/python -m foundation.config_docs"
    )
    for knob in knobs.every():
        assert f"| `{knob.name}` |" in page


def test_every_name_the_code_reads_is_declared():
    undeclared = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in app_sources()
        if not is_declaration(path)
        for name in names_in_code(path) - DECLARED - set(NOT_KNOBS)
    }
    assert not undeclared, "declare these in foundation/knobs/: " + ", ".join(sorted(undeclared))


def test_every_declared_knob_is_read_somewhere():
    """Through its constant (``knobs.JOB_MAX_ATTEMPTS``), a family lookup
    (``knobs.named(f"ANCHORBOARD_{provider}_TIMEOUT")``), or, for the few read by code that
    cannot import Django, by name in the files it names."""
    constants = {id(v): k for k, v in vars(knobs).items() if isinstance(v, config.Knob)}
    sources = "\n".join(p.read_text() for p in app_sources() if not is_declaration(p))
    families = [
        re.compile(re.sub(r"\\\{[^}]*\\\}", "[A-Z0-9_]+", re.escape(pattern)) + "$")
        for pattern in re.findall(r'knobs\.named\(\s*f"([^"]+)"', sources)
    ]
    unread = []
    for knob in knobs.every():
        if knob.read_in:
            files = [ROOT / part.strip() for part in knob.read_in.split(",")]
            read = all(f.exists() and knob.name in f.read_text() for f in files)
        else:
            read = f"knobs.{constants[id(knob)]}" in sources or any(
                family.match(knob.name) for family in families
            )
        if not read:
            unread.append(knob.name)
    assert not unread, f"declared but never read: {unread}"


def test_nothing_else_reads_the_environment_or_settings_by_name():
    offenders = []
    for path in app_sources():
        if path == ROOT / "foundation" / "config.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if "DJANGO_SETTINGS_MODULE" in code:
                continue
            if re.search(r"(?<!`)(os\.environ|os\.getenv|getattr\(\s*settings\s*,)", code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "read these through foundation.config: " + "; ".join(offenders)


def test_every_variable_the_docs_name_exists():
    pages = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
    unknown = set()
    for page in pages:
        for quoted in re.findall(r"`([^`\n]+)`", page.read_text()):
            for name in NAME.findall(quoted):
                if name not in DECLARED and name not in NOT_KNOBS:
                    unknown.add(f"{page.name}: {name}")
    assert not unknown, f"documented but not declared: {sorted(unknown)}"


# --- The reader -------------------------------------------------------------------------------


def test_knobs_that_were_settings_only_are_settable_from_the_environment(monkeypatch):
    monkeypatch.setenv("ANCHORBOARD_OPERATION_LOG_SIZE", "17")
    monkeypatch.setenv("ANCHORBOARD_WS_MESSAGE_BURST", "3")
    monkeypatch.setenv("ANCHORBOARD_WS_MESSAGE_RATE", "0.5")
    monkeypatch.setenv("ANCHORBOARD_SHARE_MAX_DAYS", "30")
    assert documents.operation_log_size() == 17
    budget = MessageBudget()
    assert (budget.capacity, budget.rate) == (3, 0.5)
    assert config.read(knobs.SHARE_MAX_DAYS) == 30


def test_a_django_setting_wins_and_blank_means_unset(monkeypatch, settings):
    monkeypatch.setenv("ANCHORBOARD_JOB_MAX_ATTEMPTS", "7")
    assert job_config.max_attempts() == 7
    settings.ANCHORBOARD_JOB_MAX_ATTEMPTS = 4
    assert job_config.max_attempts() == 4
    settings.ANCHORBOARD_JOB_MAX_ATTEMPTS = None
    monkeypatch.setenv("ANCHORBOARD_JOB_MAX_ATTEMPTS", "  ")
    assert job_config.max_attempts() == knobs.JOB_MAX_ATTEMPTS.default


def test_secrets_ignore_settings_files(monkeypatch, settings):
    settings.ANCHORBOARD_OPENAI_API_KEY = "from-a-settings-file"
    monkeypatch.delenv("ANCHORBOARD_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert config.read(knobs.OPENAI_API_KEY) == ""
    monkeypatch.setenv("OPENAI_API_KEY", "vendor-spelling")
    assert config.read(knobs.OPENAI_API_KEY) == "vendor-spelling"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ANCHORBOARD_OPERATION_LOG_SIZE", "lots", "a whole number"),
        ("ANCHORBOARD_WS_MESSAGE_RATE", "fast", "a number"),
        ("ANCHORBOARD_A1111_PREVIEWS", "maybe", "1/true/yes/on or 0/false/no/off"),
        ("ANCHORBOARD_ENGINE_CONCURRENCY", "local", "name=number pairs"),
        ("ANCHORBOARD_DISPATCHER", "threads", "embedded, celery or inline"),
    ],
)
def test_a_bad_value_fails_with_a_sentence_naming_it(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as failed:
        knobs.check_environment()
    assert str(failed.value).startswith(f"{name} must be {expected}")
    assert repr(value) in str(failed.value)


def test_typed_values_from_the_environment(monkeypatch):
    monkeypatch.setenv("ANCHORBOARD_ENGINE_CONCURRENCY", "local=1, openai=4")
    monkeypatch.setenv("ANCHORBOARD_ENGINE_FALLBACKS", "gemini-x=comfyui>local")
    monkeypatch.setenv("ANCHORBOARD_TRUSTED_PROXIES", "10.0.0.5, 10.0.1.0/24")
    monkeypatch.setenv("ANCHORBOARD_A1111_PREVIEWS", "off")
    assert config.read(knobs.ENGINE_CONCURRENCY) == {"local": 1, "openai": 4}
    assert config.read(knobs.ENGINE_FALLBACKS) == {"gemini-x": ("comfyui", "local")}
    assert config.from_environment(knobs.TRUSTED_PROXIES) == ("10.0.0.5", "10.0.1.0/24")
    assert config.read(knobs.A1111_PREVIEWS) is False
