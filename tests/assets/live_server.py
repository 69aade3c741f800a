"""A real Anchorboard server in a subprocess, for measuring what an upload costs it.

Used by tests/assets/test_upload_memory.py and bench/upload_memory_bench.py. The server is
``manage.py serve`` (Daphne in-process, embedded workers) on a throwaway data folder with
the production code path's settings (not tests.settings); its memory is read from outside
through ``/proc/<pid>/status``. Request bodies are generated on the fly and written to a
raw socket, so neither the client's memory nor an HTTP library's buffering gets in the
way, and the client can stop sending as soon as the server has answered.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE_S = 120
SEND_CHUNK = 256 * 1024
# One JPEG: a small valid image that Pillow decodes in a few milliseconds; padding after its
# end-of-image marker makes the file as big as wanted without adding pixels.
_SETUP = """
import json
from canvas.models import ApiToken, Board, BoardMember, Role, Team
from django.contrib.auth import get_user_model
User = get_user_model()
team = Team.objects.create(name="Memory")
editor = User.objects.create_user("editor", "editor@example.test", "pw-editor-123")
viewer = User.objects.create_user("viewer", "viewer@example.test", "pw-viewer-123")
board = Board.objects.create(team=team, name="Uploads", created_by=editor)
BoardMember.objects.create(board=board, user=editor, role=Role.OWNER)
BoardMember.objects.create(board=board, user=viewer, role=Role.VIEWER)
print(json.dumps({
    "board": str(board.pk),
    "editor_token": ApiToken.issue(editor)[1],
    "viewer_token": ApiToken.issue(viewer)[1],
}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server subprocess: the embedded defaults, not the test's settings."""
    env = dict(os.environ)
    for name in (
        "DJANGO_SETTINGS_MODULE",
        "ANCHORBOARD_DISPATCHER",
        "DATABASE_URL",
        "REDIS_URL",
        "AWS_STORAGE_BUCKET_NAME",
        "DJANGO_ENV",
    ):
        env.pop(name, None)
    env.update({"ANCHORBOARD_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of ``pid`` in KiB, read from /proc."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> None:
    """Reset the kernel's peak-RSS mark (VmHWM) of ``pid`` to its current RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@dataclass
class Reply:
    status: int
    body: bytes
    sent: int  # body bytes the client managed to send before the server answered or closed
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class LiveServer:
    """A running ``manage.py serve``; ``board``, ``editor_token``, ``viewer_token`` set up."""

    proc: subprocess.Popen
    port: int
    data_dir: Path
    board: str
    editor_token: str
    viewer_token: str

    @property
    def pid(self) -> int:
        return self.proc.pid

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: Iterable[bytes] = (),
        length: int | None = None,
        timeout: float = 120.0,
        complete: bool = True,
    ) -> Reply:
        """Send a request whose body comes from ``body``; chunked when ``length`` is None.

        Stops sending as soon as the server answers (or closes), like a careful client,
        and returns the answer with how many body bytes went out. ``complete=False`` leaves
        a chunked body unfinished (no last chunk): only a server that answers before the
        end of the body answers at all.
        """
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        head.append(
            f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
        )
        head.append("Connection: close")
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        deadline = time.monotonic() + timeout
        sent = 0
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            for chunk in _framed(body, chunked=length is None, complete=complete):
                if _answered(sock) or time.monotonic() > deadline:
                    break
                try:
                    sock.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += len(chunk)
            return _read_reply(sock, sent, deadline)
        finally:
            sock.close()

    def upload(self, token: str | None, body: Iterator[bytes], length: int | None, **kw) -> Reply:
        boundary, parts = multipart_file(body, complete=kw.get("complete", True))
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        total = None if length is None else length + multipart_overhead(boundary)
        return self.request(
            "POST",
            f"/api/v1/boards/{self.board}/assets",
            headers=headers,
            body=parts,
            length=total,
            **kw,
        )


def _framed(body: Iterable[bytes], *, chunked: bool, complete: bool = True) -> Iterator[bytes]:
    for chunk in body:
        if not chunk:
            continue
        yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
    if chunked and complete:
        yield b"0\r\n\r\n"


def _answered(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _read_reply(sock: socket.socket, sent: int, deadline: float) -> Reply:
    data = b""
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        raise ConnectionError(f"no HTTP answer after sending {sent} bytes: {data[:200]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return Reply(status=int(lines[0].split()[1]), body=body, sent=sent, headers=headers)


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return out


def multipart_file(
    content: Iterator[bytes], name: str = "big.jpg", *, complete: bool = True
) -> tuple[str, Iterator[bytes]]:
    """(boundary, parts) of a form with one file field; ``complete=False`` omits the end."""
    boundary = "anchorboard-memory-boundary"

    def parts() -> Iterator[bytes]:
        yield _part_head(boundary, name)
        yield from content
        if complete:
            yield f"\r\n--{boundary}--\r\n".encode()

    return boundary, parts()


def _part_head(boundary: str, name: str) -> bytes:
    return (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()


def multipart_overhead(boundary: str, name: str = "big.jpg") -> int:
    return len(_part_head(boundary, name)) + len(f"\r\n--{boundary}--\r\n")


def padded_jpeg(total_bytes: int, chunk: int = SEND_CHUNK) -> Iterator[bytes]:
    """A valid 256 × 256 JPEG followed by filler up to ``total_bytes``, made on the fly."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (180, 90, 30)).save(buffer, "JPEG", quality=90)
    image = buffer.getvalue()
    yield image
    remaining = total_bytes - len(image)
    filler = bytes(range(256)) * (chunk // 256)
    while remaining > 0:
        piece = filler[: min(chunk, remaining)]
        remaining -= len(piece)
        yield piece


def start_server(
    extra_env: dict[str, str] | None = None, *, stock_daphne: bool = False
) -> LiveServer:
    """Migrate a fresh data folder, create the people and board, start ``manage.py serve``.

    ``stock_daphne`` runs the plain ``daphne`` command instead (for comparison in bench/).
    """
    data_dir = Path(tempfile.mkdtemp(prefix="anchorboard-upload-mem-"))
    env = child_env(data_dir, {"DJANGO_LOG_LEVEL": "WARNING", **(extra_env or {})})
    python = sys.executable
    try:
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        setup = subprocess.run(
            [python, "manage.py", "shell", "-c", _SETUP],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        ids = json.loads(setup.stdout.strip().splitlines()[-1])
        port = free_port()
        command = (
            [python, "-m", "daphne", "-p", str(port), "anchorboard.asgi:application"]
            if stock_daphne
            else [python, "manage.py", "serve", "--no-demo", "--port", str(port)]
        )
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    server = LiveServer(
        proc, port, data_dir, ids["board"], ids["editor_token"], ids["viewer_token"]
    )
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stop_server(server)
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)  # polling for the port, with a deadline
    stop_server(server)
    raise RuntimeError("server did not listen in time")


def stop_server(server: LiveServer) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=30)
    shutil.rmtree(server.data_dir, ignore_errors=True)


@dataclass
class Measured:
    reply: Reply
    baseline_kib: int
    peak_kib: int

    @property
    def growth_mib(self) -> float:
        return (self.peak_kib - self.baseline_kib) / 1024


def measure(server: LiveServer, send) -> Measured:
    """Run ``send()`` (which makes one request) and report the server's peak RSS growth."""
    reset_peak(server.pid)
    baseline = memory_kib(server.pid)["VmRSS"]
    reply = send()
    peak = memory_kib(server.pid)["VmHWM"]
    return Measured(reply, baseline, peak)
