"""Export packages read back with zipfile, the manifest checked with JSON Schema
(jsonschema), the hashes recomputed from the archive, the CSV parsed with csv; the memory
test streams 300 MB through a package in a subprocess and holds its RSS growth."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import textwrap
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from assets.exports.manifest import (
    FIELDS,
    MANIFEST_SCHEMA,
    SIDECAR_SCHEMA,
    AnchorRef,
    DecisionRef,
    Provenance,
)
from assets.exports.package import (
    FileNamer,
    PackageEntry,
    PackageError,
    check_template,
    safe_stem,
    write_package,
)

ROOT = Path(__file__).resolve().parents[2]


def provenance(asset: str, seed: int) -> Provenance:
    return Provenance(
        asset=asset,
        board="Spring campaign",
        frame="Hero shot",
        batch="Sneakers × backgrounds",
        variables={"product": "sneaker", "background": "sand"},
        job="job-7f3a",
        engine="gemini",
        model="gemini-2.5-flash-image",
        prompt="A bright kitchen, morning light",
        negative_prompt="text, watermark",
        seed=seed,
        anchors=[
            AnchorRef("composition", "Sketch", "a" * 64),
            AnchorRef("palette", "Brand palette", "b" * 64),
        ],
        brand_kit_version=3,
        drift_scores={"palette": 4.2, "lighting": 0.91},
        decisions=[DecisionRef("approved", "Dana Reviewer", "2026-12-01T10:00:00+00:00")],
        licence="Client use, worldwide, 2 years",
        owner="Acme Studio",
    )


def entry(data: bytes, *, seed: int, variant: str = "A", **extra) -> PackageEntry:
    return PackageEntry(
        open=lambda: io.BytesIO(data),
        provenance=provenance(f"asset-{seed}", seed),
        extension="png",
        naming={"campaign": "Spring / Été", "variant": variant, "seed": seed, "w": 1024, "h": 768},
        **extra,
    )


def test_package_reads_back_with_valid_manifest_sidecars_and_matching_hashes():
    files = [b"first image" * 1000, b"second image" * 500, b"third"]
    entries = [
        entry(files[0], seed=42),
        entry(files[1], seed=42),  # same name: resolved
        entry(
            files[2],
            seed=7,
            variant="B:<final>?",
            expected_sha256=hashlib.sha256(b"third").hexdigest(),
        ),
    ]
    out = io.BytesIO()
    seen = []
    records = write_package(
        out,
        entries,
        package={"board": "Spring campaign", "exported_by": "Dana"},
        progress=lambda done, written: seen.append((done, written)),
        modified=datetime(2026, 12, 6, 12, 0, tzinfo=UTC),
    )
    assert seen == [(1, 11000), (2, 17000), (3, 17005)]

    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == [
            "Spring-Ete_A_42_1024x768.png",
            "Spring-Ete_A_42_1024x768.png.json",
            "Spring-Ete_A_42_1024x768-2.png",
            "Spring-Ete_A_42_1024x768-2.png.json",
            "Spring-Ete_B-final_7_1024x768.png",
            "Spring-Ete_B-final_7_1024x768.png.json",
            "manifest.json",
            "manifest.csv",
        ]
        assert archive.getinfo(names[0]).compress_type == zipfile.ZIP_STORED
        assert archive.getinfo(names[0]).date_time == (2026, 12, 6, 12, 0, 0)
        manifest = json.loads(archive.read("manifest.json"))
        jsonschema.validate(manifest, MANIFEST_SCHEMA)
        assert manifest["package"] == {"board": "Spring campaign", "exported_by": "Dana"}
        for record, content in zip(manifest["files"], files, strict=True):
            assert set(record) == set(FIELDS)
            stored = archive.read(record["file_name"])
            assert stored == content
            assert record["size"] == len(stored)
            assert record["sha256"] == hashlib.sha256(stored).hexdigest()
            sidecar = json.loads(archive.read(record["file_name"] + ".json"))
            jsonschema.validate(sidecar, SIDECAR_SCHEMA)
            assert sidecar["file"] == record
        first = manifest["files"][0]
        assert first["anchors"][0] == {"role": "composition", "name": "Sketch", "sha256": "a" * 64}
        assert first["decisions"][0]["by"] == "Dana Reviewer"
        assert first["drift_scores"] == {"palette": 4.2, "lighting": 0.91}
        assert (first["seed"], first["brand_kit_version"], first["engine"]) == (42, 3, "gemini")
        assert first["batch"] == "Sneakers × backgrounds"
        assert first["variables"] == {"product": "sneaker", "background": "sand"}

        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert [row["file_name"] for row in rows] == [r.file_name for r in records]
    assert tuple(rows[0]) == FIELDS
    assert rows[0]["anchors"] == f"composition:Sketch:{'a' * 64} | palette:Brand palette:{'b' * 64}"
    assert rows[0]["decisions"] == "approved by Dana Reviewer at 2026-12-01T10:00:00+00:00"
    assert rows[0]["drift_scores"] == "palette=4.2 | lighting=0.91"
    assert rows[0]["variables"] == "product=sneaker | background=sand"
    assert rows[0]["sha256"] == records[0].sha256


def test_schema_refuses_a_record_missing_a_field_or_with_a_bad_hash():
    out = io.BytesIO()
    write_package(out, [entry(b"x", seed=1)])
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    broken = json.loads(json.dumps(manifest))
    del broken["files"][0]["licence"]
    with pytest.raises(jsonschema.ValidationError, match="licence"):
        jsonschema.validate(broken, MANIFEST_SCHEMA)
    broken = json.loads(json.dumps(manifest))
    broken["files"][0]["sha256"] = "not-a-hash"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, MANIFEST_SCHEMA)


class OneWay(io.RawIOBase):
    """A write-only, unseekable sink, like an upload stream."""

    def __init__(self):
        self.buffer = bytearray()

    def writable(self):
        return True

    def write(self, data):
        self.buffer += data
        return len(data)


def test_unseekable_output_is_a_valid_archive():
    sink = OneWay()
    write_package(sink, [entry(b"one" * 10, seed=1), entry(b"two" * 10, seed=2)], sidecars=False)
    with zipfile.ZipFile(io.BytesIO(bytes(sink.buffer))) as archive:
        assert archive.testzip() is None
        assert archive.read("Spring-Ete_A_2_1024x768.png") == b"two" * 10
        assert len(archive.namelist()) == 4


def test_a_file_whose_bytes_changed_is_refused():
    with pytest.raises(PackageError, match="hash to"):
        write_package(io.BytesIO(), [entry(b"tampered", seed=1, expected_sha256="0" * 64)])


def test_names_are_safe_unique_and_templates_checked():
    assert safe_stem("../../etc/passwd") == "etc-passwd"
    assert safe_stem("  ") == "file"
    assert safe_stem("CON") == "_CON"
    assert len(safe_stem("x" * 500)) == 120
    namer = FileNamer("{campaign}", reserved=["manifest.json"])
    assert namer.name({"campaign": "manifest"}, "json") == "manifest-2.json"
    assert namer.name({"campaign": "Hero"}, "png") == "Hero.png"
    assert namer.name({"campaign": "HERO"}, "png") == "HERO-2.png"
    assert namer.name({}, "png") == "file.png"
    with pytest.raises(PackageError, match="uses colour"):
        check_template("{campaign}_{colour}")
    with pytest.raises(PackageError, match="no field"):
        check_template("fixed")


MEMORY_SCRIPT = textwrap.dedent(
    """
    import io, resource, sys
    from assets.exports.package import PackageEntry, write_package
    from assets.exports.manifest import Provenance

    class Generated(io.RawIOBase):
        '''size bytes of varied data, made as they are read.'''
        def __init__(self, size, seed):
            self.left, self.block = size, bytes((seed * 31 + i) % 251 for i in range(65536))
        def readable(self):
            return True
        def readinto(self, buffer):
            n = min(len(buffer), self.left, len(self.block))
            buffer[:n] = self.block[:n]
            self.left -= n
            return n

    class Sink(io.RawIOBase):
        def writable(self):
            return True
        def write(self, data):
            return len(data)

    total_mb, files = int(sys.argv[1]), int(sys.argv[2])
    size = total_mb * 1024 * 1024 // files
    entries = (
        PackageEntry(
            open=lambda i=i: io.BufferedReader(Generated(size, i)),
            provenance=Provenance(asset=str(i), board="b", seed=i),
            extension="png" if i % 2 else "bin",
            naming={"campaign": "c", "variant": i, "seed": i, "w": 1, "h": 1},
        )
        for i in range(files)
    )
    def status(field):
        with open("/proc/self/status") as handle:
            return next(int(l.split()[1]) * 1024 for l in handle if l.startswith(field + ":"))

    try:  # Linux: reset the peak to the current RSS, then peak - current
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        before = status("VmRSS")
        peak = lambda: status("VmHWM")
    except OSError:  # elsewhere: growth of the peak so far (a weaker bound)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    records = write_package(Sink(), entries)
    print(sum(r.size for r in records), peak() - before)
    """
)


@pytest.mark.slow
def test_a_300_mb_package_keeps_memory_flat():
    """Peak RSS growth of the writing process while 300 MB go through a package, half of it
    deflated, half stored, to an unseekable sink: bounded by the chunk size, not the data."""
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, "300", "30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=280,
    )
    total, growth = (int(value) for value in result.stdout.split())
    assert total == 300 * 1024 * 1024
    assert growth <= 100 * 1024 * 1024, f"RSS grew {growth / 2**20:.0f} MB"
