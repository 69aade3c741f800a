"""HTTP Range requests on stored files (RFC 9110 §14): what lets a browser seek in a clip.

A ``<video>`` element asks for ``Range: bytes=<start>-`` (and smaller windows while
scrubbing); Safari will not play an MP4 from a server that ignores ranges. One range per
request is served (multipart ranges are answered with the whole file, which the RFC
allows); a range that starts past the end is ``416`` with ``Content-Range: bytes */size``.
The window is streamed from storage in chunks, never read whole into memory; a handle
opened at the window (``assets.storage.open_stream(key, byte_range=…)``: a ranged GET on
S3) is read from where it stands, so only the asked bytes leave storage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from django.http import HttpResponse, StreamingHttpResponse

CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """The inclusive byte window ``header`` asks for in a file of ``size`` bytes: (start,
    end); None when the header is absent, malformed or multipart (serve the whole file);
    False when it cannot be satisfied (416)."""
    match = _RANGE.match(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return False
    return start, end


def _position(handle: IO[bytes]) -> int | None:
    tell = getattr(handle, "tell", None)
    try:
        return tell() if callable(tell) else None
    except (OSError, ValueError):
        return None


def _window(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        seekable = getattr(handle, "seekable", None)
        if _position(handle) == start:
            pass  # opened at the window (a ranged read)
        elif callable(seekable) and seekable():
            handle.seek(start)
        else:  # a body stream read from the start: skip forward
            skip = start
            while skip > 0:
                chunk = handle.read(min(CHUNK, skip))
                if not chunk:
                    return
                skip -= len(chunk)
        left = length
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def ranged_response(
    handle: IO[bytes], window: tuple[int, int], size: int, content_type: str
) -> StreamingHttpResponse:
    """206 Partial Content for ``window`` of the open ``handle`` (closed when done)."""
    start, end = window
    length = end - start + 1
    response = StreamingHttpResponse(
        _window(handle, start, length), status=206, content_type=content_type
    )
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    return response


def unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    response["Accept-Ranges"] = "bytes"
    return response
