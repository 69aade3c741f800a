"""The public API over HTTP: one httpx client with the bearer token, errors in one shape.

Every error under ``/api/v1/`` is ``{"error": {"code", "message"}}`` (docs/api.md); a reply
that is not (a proxy's HTML page, a wrong server URL) becomes an ``ApiError`` with its status
and the start of its body, so the command line always has a sentence to print.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

API = "/api/v1"
TIMEOUT_S = 30.0


class ApiError(Exception):
    def __init__(self, status: int | None, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def __str__(self) -> str:
        where = f"HTTP {self.status} " if self.status is not None else ""
        return f"{where}{self.code}: {self.message}"


class Client:
    def __init__(
        self, server: str, token: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.server = server.rstrip("/")
        self._http = httpx.Client(
            base_url=self.server + API,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT_S,
            transport=transport,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(
                None, "connection_failed", f"{self._http.base_url}{path}: {exc}"
            ) from exc
        if response.status_code >= 400:
            raise error_from(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(
                response.status_code, "not_json", f"The server answered: {response.text[:200]}"
            ) from exc

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("POST", path, json=body, params=params or None)

    def download(
        self,
        path: str,
        dest: Path,
        *,
        api: bool = True,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> tuple[int, str]:
        """Stream a file to ``dest`` chunk by chunk (never whole in memory); returns its
        size and content type. ``path`` is under /api/v1/ (``api``) or the server's root
        (an export's signed ``download_url``); ``progress(bytes so far, total or None)``.
        A partial file is removed when the transfer fails."""
        url = path if api else self.server + path
        part = dest.with_name(dest.name + ".part")
        try:
            with self._http.stream("GET", url) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from(response)
                total = int(response.headers.get("Content-Length") or 0) or None
                done = 0
                with part.open("wb") as out:
                    for chunk in response.iter_bytes(1 << 20):
                        out.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, total)
                kind = response.headers.get("Content-Type", "").split(";")[0].strip()
        except httpx.HTTPError as exc:
            part.unlink(missing_ok=True)
            raise ApiError(None, "connection_failed", f"{url}: {exc}") from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        if total is not None and done != total:
            part.unlink(missing_ok=True)
            raise ApiError(None, "incomplete_download", f"{url}: {done} of {total} bytes")
        part.replace(dest)
        return done, kind

    def pages(self, path: str, **params: Any) -> list[Any]:
        """Every item of a paged list (``{"items", "next"}``), page after page."""
        items: list[Any] = []
        page = 1
        while True:
            body = self.get(path, page=page, **params)
            items.extend(body["items"])
            if not body.get("next"):
                return items
            page += 1


def error_from(response: httpx.Response) -> ApiError:
    try:
        detail = response.json()["error"]
        return ApiError(response.status_code, str(detail["code"]), str(detail["message"]))
    except (ValueError, KeyError, TypeError):
        text = response.text.strip()[:300] or response.reason_phrase
        return ApiError(response.status_code, "http_error", text)
