"""``manage.py protocol_schema``: write the protocol's JSON Schema and docs reference.

Writes frontend/src/protocol/schema.json and the generated reference section of
docs/protocol.md from canvas/protocol; ``--check`` writes nothing and fails when either is
stale. The TypeScript (frontend/src/protocol/generated.ts) is then generated from the
schema by ``npm --prefix frontend run protocol``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from canvas.protocol.schema import DOC_PATH, SCHEMA_PATH, doc_with_reference, schema_text


class Command(BaseCommand):
    help = "Write frontend/src/protocol/schema.json and docs/protocol.md's reference section."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="fail if anything is stale")

    def handle(self, *args, check: bool, **options) -> None:
        wanted = {
            SCHEMA_PATH: schema_text(),
            DOC_PATH: doc_with_reference(DOC_PATH.read_text(encoding="utf-8")),
        }
        stale = [
            path
            for path, text in wanted.items()
            if not path.exists() or path.read_text(encoding="utf-8") != text
        ]
        if check:
            if stale:
                names = ", ".join(str(path) for path in stale)
                raise CommandError(f"stale: {names}; run python manage.py protocol_schema")
            self.stdout.write("protocol schema and docs are current")
            return
        for path in stale:
            path.write_text(wanted[path], encoding="utf-8")
            self.stdout.write(f"wrote {path}")
        if not stale:
            self.stdout.write("protocol schema and docs were already current")
