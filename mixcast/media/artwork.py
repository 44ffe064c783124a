"""Picture renditions: every size of the API's ``pictures`` maps, cut from one original.

Pure functions on bytes; storing them is the caller's job (``pictures.store``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from mixcast.errors import AppError

# The size keys of wire-format.md §3.1: users have 8, shows (cloudcasts) 10, covers 3.
USER_SIZES: dict[str, tuple[int, int]] = {
    "small": (25, 25),
    "thumbnail": (50, 50),
    "medium_mobile": (80, 80),
    "medium": (100, 100),
    "large": (300, 300),
    "320wx320h": (320, 320),
    "extra_large": (600, 600),
    "640wx640h": (640, 640),
}
SHOW_SIZES: dict[str, tuple[int, int]] = {
    **USER_SIZES,
    "768wx768h": (768, 768),
    "1024wx1024h": (1024, 1024),
}
COVER_SIZES: dict[str, tuple[int, int]] = {
    "835wx120h": (835, 120),
    "1113wx160h": (1113, 160),
    "1670wx240h": (1670, 240),
}
SIZES_BY_KIND = {"profile": USER_SIZES, "extaudio": SHOW_SIZES, "profile_cover": COVER_SIZES}
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


class InvalidPicture(AppError):
    type = "InvalidPictureException"
    http_status = 400


@dataclass(frozen=True)
class Renditions:
    primary_color: str  # 6 hex digits, the average colour
    width: int
    height: int
    files: dict[str, bytes]  # "WxH" -> JPEG bytes


def rendition_name(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _open(data: bytes) -> Image.Image:
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise InvalidPicture("The picture is too large (more than 40 megapixels).")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise InvalidPicture("The picture is not an image this site can read.") from exc
    image = ImageOps.exif_transpose(image)
    return image.convert("RGB")


def check_picture_file(path: Path) -> None:
    """Refuse a file that is not a picture Pillow reads, or is too large, without decoding
    all of it (the renditions are cut later, by the pipeline)."""
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                raise InvalidPicture("The picture is too large (more than 40 megapixels).")
            image.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise InvalidPicture("The picture is not an image this site can read.") from exc


def make_renditions(data: bytes, kind: str) -> Renditions:
    """Every rendition for ``kind``: centre-cropped to each size's aspect, JPEG quality 85."""
    image = _open(data)
    sizes = SIZES_BY_KIND[kind]
    files: dict[str, bytes] = {}
    for size in sorted(set(sizes.values()), key=lambda s: -s[0] * s[1]):
        fitted = ImageOps.fit(image, size, method=Image.Resampling.LANCZOS)
        out = io.BytesIO()
        fitted.save(out, "JPEG", quality=85, optimize=True, progressive=size[0] >= 300)
        files[rendition_name(size)] = out.getvalue()
    r, g, b = image.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return Renditions(f"{r:02x}{g:02x}{b:02x}", image.width, image.height, files)
