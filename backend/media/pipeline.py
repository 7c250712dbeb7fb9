"""Turn an untrusted photo upload into upright, metadata-free JPEG variants.

Pure and synchronous (no database, no web framework) so it can be tested and benchmarked on
its own; :func:`process_photo_async` moves the CPU work off the event loop.

Why it looks the way it does:

* The type is decided from the content's magic bytes, never from the file name or the
  client's Content-Type, and Pillow is only allowed the one matching decoder
  (``Image.open(..., formats=[...])``): several Pillow CVEs came through other formats.
* Pixel count is checked on the header size before any decoding (decompression bombs).
* JPEGs are decoded at 1/2, 1/4 or 1/8 scale with ``Image.draft`` when the display size
  allows it; the EXIF orientation is read by hand and applied after resizing, because
  ``ImageOps.exif_transpose`` would load the full-size image first. (HEIF: libheif applies
  the container's rotation and pillow-heif resets EXIF orientation to 1, as the spec wants.)
* Variants are re-encoded from pixels with an emptied ``info`` dict, so no EXIF (GPS), XMP,
  comment or ICC profile survives, nor anything appended to the file (polyglots). Colours
  in a non-sRGB ICC profile are converted to sRGB first so they still look right.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from io import BytesIO

import anyio
import anyio.to_thread
import pillow_heif
from PIL import Image, ImageCms

from backend.i18n import N_

logger = logging.getLogger(__name__)

# Only frame 0 of the primary image is used: skip HEIF thumbnails, depth and auxiliary images.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

JPEG_QUALITY = 82

MESSAGES: dict[str, str] = {
    "empty": N_("This file is empty. Please choose the photo again."),
    "too_large": N_("This photo is too large to upload. Please choose a smaller photo."),
    "not_an_image": N_("This file is not a photo. Please choose a JPEG, PNG, WebP or HEIC image."),
    "unsupported_type": N_(
        "This type of image is not supported. Please choose a JPEG, PNG, WebP or HEIC photo."
    ),
    "too_many_pixels": N_(
        "This photo has too many pixels to process. Please choose a smaller photo."
    ),
    "corrupt": N_(
        "This photo is damaged or incomplete and cannot be opened. Please choose it again."
    ),
}


class PhotoRejected(Exception):
    """An upload we refuse; ``message`` is an English sentence for the uploader (translate it
    with the viewer's catalog), ``code`` is stable for logs, tests and API clients."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message if message is not None else MESSAGES[code]
        super().__init__(code, self.message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class PhotoLimits:
    """Upload limits and output sizes (edges are the longest side, in pixels)."""

    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 64_000_000
    thumb_edge: int = 320
    display_edge: int = 1600
    keep_original: bool = False


DEFAULT_LIMITS = PhotoLimits()


@dataclass(frozen=True)
class Variant:
    """One stored rendition; JPEG except the optional untouched ``original``."""

    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


@dataclass(frozen=True)
class ProcessedPhoto:
    """Result of :func:`process_photo`.

    ``taken_at`` is EXIF DateTimeOriginal as written by the camera: a naive local wall-clock
    time (EXIF has no zone). ``taken_at_offset`` is OffsetTimeOriginal when the camera wrote
    one (newer phones do); :attr:`taken_at_aware` combines both. ``width``/``height`` are the
    upright size of the original. ``variants`` holds "thumb" and "display", plus "original"
    (the uploaded bytes, metadata included: never serve it to customers) if asked for.
    """

    sha256: str
    mime: str
    width: int
    height: int
    taken_at: datetime | None
    taken_at_offset: timedelta | None = None
    variants: dict[str, Variant] = field(default_factory=dict)

    @property
    def taken_at_aware(self) -> datetime | None:
        """``taken_at`` with its UTC offset, or None when either is unknown."""
        if self.taken_at is None or self.taken_at_offset is None:
            return None
        return self.taken_at.replace(tzinfo=timezone(self.taken_at_offset))


# --- type detection ----------------------------------------------------------------------

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
# Recognisable image formats we do not take (GIF, TIFF and camera raw, JPEG XL, JPEG 2000,
# Photoshop, QOI); anything unrecognised is "not an image".
_GIF_TIFF = (b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_OTHER_IMAGES = (*_GIF_TIFF, b"\xff\x0a", b"8BPS", b"\0\0\0\x0cJXL ", b"\0\0\0\x0cjP  ", b"qoif")


def sniff(data: bytes) -> tuple[str, str]:
    """Return (Pillow format, MIME type) from magic bytes, or raise :class:`PhotoRejected`."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG", "image/jpeg"  # includes MPO (multi-picture) files from phones
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG", "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP", "image/webp"
    if data[4:8] == b"ftyp":
        end = min(int.from_bytes(data[:4], "big"), len(data), 512)
        brands = {data[8:12]} | {data[i : i + 4] for i in range(16, end - 3, 4)}
        if brands & _HEIC_BRANDS:
            return "HEIF", "image/heic"
        if brands & _AVIF_BRANDS:
            raise PhotoRejected("unsupported_type")
        if brands & _HEIF_BRANDS:
            return "HEIF", "image/heif"
        raise PhotoRejected("not_an_image")  # MP4/MOV videos and the like
    if data.startswith(_OTHER_IMAGES) or (data[:2] == b"BM" and data[6:10] == bytes(4)):
        raise PhotoRejected("unsupported_type")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in head:
        raise PhotoRejected("unsupported_type")
    raise PhotoRejected("not_an_image")


# --- EXIF --------------------------------------------------------------------------------

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_DATETIME = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


def _text(raw: object) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    return raw.strip("\x00 ") if isinstance(raw, str) else ""


def _read_exif(im: Image.Image) -> tuple[int, datetime | None, timedelta | None]:
    """(orientation, DateTimeOriginal, OffsetTimeOriginal); damaged EXIF counts as absent,
    because a photo with broken metadata is still a photo."""
    try:
        exif = im.getexif()
        orientation = int(exif.get(0x0112) or 1)
        sub = exif.get_ifd(0x8769)
        raw_taken, raw_offset = sub.get(0x9003), sub.get(0x9011)
    except Exception:
        return 1, None, None
    if orientation not in range(1, 9):
        orientation = 1
    taken_at: datetime | None = None
    offset: timedelta | None = None
    if match := _EXIF_DATETIME.fullmatch(_text(raw_taken)):
        try:  # EXIF times are local wall-clock times without a zone
            taken_at = datetime(*(int(g) for g in match.groups()))  # noqa: DTZ001
        except ValueError:  # "0000:00:00 00:00:00" and other placeholders
            taken_at = None
    if (match := _EXIF_OFFSET.fullmatch(_text(raw_offset))) and int(match[2]) <= 14:
        sign = -1 if match[1] == "-" else 1
        offset = sign * timedelta(hours=int(match[2]), minutes=int(match[3]) % 60)
    return orientation, taken_at, offset


# --- pixels ------------------------------------------------------------------------------

_SRGB = ImageCms.createProfile("sRGB")


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """Size with the longest side at most ``edge``; never larger than ``size``."""
    w, h = size
    scale = min(1.0, edge / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _resize(im: Image.Image, size: tuple[int, int], gap: float = 3.0) -> Image.Image:
    """LANCZOS; ``gap`` lets Pillow box-reduce first when shrinking more than 2x ``gap``
    (3.0 is indistinguishable from plain LANCZOS, 2.0 halves the thumbnail's cost)."""
    if im.size == size:
        return im
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=gap)


def _flatten(im: Image.Image) -> Image.Image:
    """RGB (or CMYK, converted later with its profile), alpha composited onto white."""
    if im.mode in ("RGB", "CMYK"):
        return im
    if im.mode.startswith("I"):  # 16-bit greyscale PNG: scale, don't clip
        return im.convert("I").point(lambda v: v * (1 / 257)).convert("L").convert("RGB")
    if "A" in im.mode or "a" in im.mode or "transparency" in im.info:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", im.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im.convert("RGB")


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert through the embedded ICC profile when it is not sRGB; else plain RGB."""
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(BytesIO(icc))
            space = src.profile.xcolor_space.strip()
            is_srgb = (src.profile.profile_description or "").startswith("sRGB")
            if space == im.mode and not (space == "RGB" and is_srgb):
                return ImageCms.profileToProfile(im, src, _SRGB, outputMode="RGB")
        except Exception as exc:  # a broken profile is dropped, the photo is kept
            logger.info("ignoring unusable ICC profile: %r", exc)
    return im if im.mode == "RGB" else im.convert("RGB")


def _encode(im: Image.Image, *, progressive: bool) -> bytes:
    im.info = {}  # Pillow copies exif/xmp/comment/icc from info when saving; we own `im`
    buf = BytesIO()
    im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=False, progressive=progressive)
    return buf.getvalue()


def _render(im: Image.Image, data: bytes, mime: str, limits: PhotoLimits) -> ProcessedPhoto:
    w, h = im.size
    if w < 1 or h < 1:
        raise PhotoRejected("corrupt")
    if w * h > limits.max_pixels:
        raise PhotoRejected("too_many_pixels")
    display_size, thumb_size = _fit((w, h), limits.display_edge), _fit((w, h), limits.thumb_edge)
    if im.format in ("JPEG", "MPO"):
        im.draft("RGB", display_size)  # must precede anything that loads pixels
    im.load()
    orientation, taken_at, offset = _read_exif(im)
    display = _to_srgb(_resize(_flatten(im), display_size), im.info.get("icc_profile"))
    thumb = _resize(display, thumb_size, gap=2.0)
    if method := _TRANSPOSE.get(orientation):
        display, thumb = display.transpose(method), thumb.transpose(method)
    upright = (h, w) if orientation >= 5 else (w, h)
    # Baseline JPEG for both: libjpeg always optimises Huffman tables for progressive output,
    # which costs ~25 ms on a 1600 px image and buys little for photos viewed on a phone.
    variants = {
        "thumb": Variant(_encode(thumb, progressive=False), *thumb.size),
        "display": Variant(_encode(display, progressive=False), *display.size),
    }
    if limits.keep_original:
        variants["original"] = Variant(data, *upright, content_type=mime)
    return ProcessedPhoto(
        sha256=hashlib.sha256(data).hexdigest(),
        mime=mime,
        width=upright[0],
        height=upright[1],
        taken_at=taken_at,
        taken_at_offset=offset,
        variants=variants,
    )


def process_photo(data: bytes, *, limits: PhotoLimits = DEFAULT_LIMITS) -> ProcessedPhoto:
    """Validate ``data`` and render its variants; raise :class:`PhotoRejected` for anything
    we will not take. CPU-bound: call :func:`process_photo_async` from async code."""
    if not data:
        raise PhotoRejected("empty")
    if len(data) > limits.max_bytes:
        raise PhotoRejected("too_large")
    pil_format, mime = sniff(data)
    try:
        with Image.open(BytesIO(data), formats=[pil_format]) as im:
            return _render(im, data, mime, limits)
    except PhotoRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise PhotoRejected("too_many_pixels") from exc
    except Exception as exc:
        # Untrusted bytes reach C decoders that fail in many ways (OSError, SyntaxError,
        # ValueError, struct.error, ...): to the uploader they all mean "cannot be read".
        logger.info("photo rejected as corrupt (%s): %r", mime, exc)
        raise PhotoRejected("corrupt") from exc


# At most two photos decode at once: a 12 MP decode needs tens of MB and two cores suffice.
_LIMITER = anyio.CapacityLimiter(2)


async def process_photo_async(
    data: bytes, *, limits: PhotoLimits = DEFAULT_LIMITS
) -> ProcessedPhoto:
    """:func:`process_photo` in a worker thread (Pillow releases the GIL while decoding)."""
    work = functools.partial(process_photo, data, limits=limits)
    return await anyio.to_thread.run_sync(work, limiter=_LIMITER)
