"""Why a video file could not be read, in words a person can act on.

Raised by ``assets.video.decode`` and ``assets.video.probe`` instead of PyAV's FFmpeg
errors (or an ``IndexError`` from a file with no video stream), so callers — a job
downloading a provider's clip, an export reading a stored one — catch one class and show
one message. Deciding when to raise is the readers' job; this module only defines them.
"""

from __future__ import annotations

from foundation.errors import AppError


class VideoUnreadable(AppError):
    """The file is not a video FFmpeg can read: corrupt, truncated, empty or no video track."""

    status = 422
    code = "video_unreadable"
    default_message = (
        "This video is damaged or incomplete and cannot be read. "
        "Download or export it again, then retry."
    )


class VideoTruncated(VideoUnreadable):
    """The container promises more frames than its data holds (a cut-off download)."""

    code = "video_truncated"
    default_message = (
        "This video ends before its last frame: the file was cut off while it was being "
        "downloaded or written. Download or export it again, then retry."
    )
