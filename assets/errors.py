"""Why an upload was turned away, in words a designer can act on.

Every rejection of a file is an ``UploadRejected`` with one of a fixed set of codes and
HTTP statuses; the API renders it as ``{"error": {"code", "message"}}``. Messages name the
file's real type and size and say what to do next. This module only defines the errors;
deciding when to raise them is ``assets.inspection``'s job.
"""

from __future__ import annotations

from foundation.errors import AppError, NotFound

# The formats named in messages; the accepted set itself is decided at runtime by
# assets.inspection (it depends on which codecs this Pillow build has).
ACCEPTED_NAMES = "PNG, JPEG, WebP, TIFF, GIF, AVIF"


class UploadRejected(AppError):
    """Base class: the file was not stored and nothing changed."""

    status = 400
    code = "upload_rejected"
    default_message = "This file could not be added to the board."


class EmptyFile(UploadRejected):
    status = 400
    code = "empty_file"
    default_message = (
        "This file is empty (0 bytes). Check that it finished exporting or downloading, "
        "then upload it again."
    )


class UnsupportedType(UploadRejected):
    status = 415
    code = "unsupported_type"
    default_message = f"This file is not an image Anchorboard accepts ({ACCEPTED_NAMES}…)."


class FileTooLarge(UploadRejected):
    status = 413
    code = "file_too_large"
    default_message = "This file is larger than the upload limit."


class TooManyPixels(UploadRejected):
    status = 413
    code = "too_many_pixels"
    default_message = "This image has more pixels than the limit."


class CorruptImage(UploadRejected):
    status = 422
    code = "corrupt_image"
    default_message = (
        "This image is damaged or incomplete and cannot be read. "
        "Re-export it from your image editor and upload it again."
    )


class FileNotAvailable(NotFound):
    """Raised by the file routes for unknown ids, wrong hashes and boards the caller can't see.

    One message for all three so a stranger cannot tell which case they hit.
    """

    code = "not_found"
    default_message = (
        "This file does not exist, or you have not been given access to the board it is on."
    )


class DerivativeNotReady(NotFound):
    code = "derivative_not_ready"
    default_message = (
        "This preview size has not been generated yet. Use the original or a smaller size, "
        "and try again in a moment."
    )
