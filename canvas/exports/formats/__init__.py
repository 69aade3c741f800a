"""The export kinds whose writers have landed in assets/exports, registered with
canvas.exports.kinds when this package is imported (canvas.exports.tasks does).

Each module gathers what its writer needs from the board (originals with their ICC
profiles, the frame's composite, provenance) and calls the writer; none decides who may
export (the API did) or touches the export row (the runner does).
"""

from canvas.exports import kinds
from canvas.exports.formats import images, package, psd, sheet, video

kinds.register(images.PNG)
kinds.register(images.TIFF16)
kinds.register(package.ZIP)
kinds.register(psd.PSD)
kinds.register(sheet.SHEET)
kinds.register(video.VIDEO)
