"""What kind of image a file holds, by its magic bytes: JPEG and PNG are the covers players take.

Here, not beside the ID3 tags that embed the cover, so that settings can refuse a
wrong cover file without loading the tagging (mutagen) or the image (Pillow) code.
"""

from __future__ import annotations

IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def image_mime(data: bytes) -> str | None:
    """image/jpeg or image/png by the file's magic bytes; None for anything else."""
    return next((m for magic, m in IMAGE_MAGIC.items() if data.startswith(magic)), None)
