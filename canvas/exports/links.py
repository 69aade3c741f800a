"""Download links of exports: signed, for one person, and short-lived.

A member's link is ``/exports/<id>/download?t=<token>`` where the token is signed with the
server's secret (django.core.signing, a salt of its own) and names the export and the
user; it works for ``ANCHORBOARD_EXPORT_LINK_SECONDS`` after it was made, and only while
that user can still see the board and the export is not expired (the download view checks
all three at every request), so a link that leaks stops working within the hour and at once
for someone removed from the board. It needs no session: a script that read the export
with a bearer token can hand the link to ``curl``.

A guest's link is ``/s/<share token>/exports/<id>/download``: the share token already is
the credential, checked (live, download allowed, shows the export) at every request.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.urls import reverse

from foundation import config, knobs
from foundation.errors import AppError, NotFound

SALT = "anchorboard.exports.download"


class ExportNotFound(NotFound):
    code = "export_not_found"
    default_message = "There is no such export, or you cannot see it."


class DownloadLinkExpired(AppError):
    status = 410
    code = "download_link_expired"
    default_message = (
        "This download link has expired. Open the board's exports page (or read the export "
        "through the API) for a fresh link."
    )


class ExportExpired(AppError):
    status = 410
    code = "export_expired"
    default_message = (
        "This export has expired and its file was deleted. Export it again from the "
        "board's exports page."
    )


def link_seconds() -> int:
    return max(1, config.read(knobs.EXPORT_LINK_SECONDS))


def member_url(export_id: Any, user_id: Any) -> str:
    token = signing.dumps({"e": str(export_id), "u": user_id}, salt=SALT, compress=True)
    return f"{reverse('export-download', args=[export_id])}?t={token}"


def guest_url(export_id: Any, share_token: str) -> str:
    return reverse("share-export-download", args=[share_token, export_id])


def read_member_token(token: str, export_id: Any) -> Any:
    """The user id a link was made for; DownloadLinkExpired / ExportNotFound otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=link_seconds())
    except signing.SignatureExpired:
        raise DownloadLinkExpired() from None
    except signing.BadSignature:
        raise ExportNotFound() from None
    if not isinstance(data, dict) or data.get("e") != str(export_id):
        raise ExportNotFound()
    return data.get("u")
