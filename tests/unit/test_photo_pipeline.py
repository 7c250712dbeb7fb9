"""Photo pipeline: real camera files from ../shared/fixtures/photos plus generated attacks."""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import zipfile
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageCms, ImageStat

from backend.media import pipeline
from backend.media.pipeline import (
    MESSAGES,
    PhotoLimits,
    PhotoRejected,
    ProcessedPhoto,
    Variant,
    process_photo,
    process_photo_async,
    sniff,
)

pytestmark = pytest.mark.unit

PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "photos"

# file -> upright size of the original, from the fixtures README
FIXTURES = {
    "orientation-landscape_1.jpg": (600, 450),
    "orientation-landscape_3.jpg": (600, 450),
    "orientation-landscape_6.jpg": (600, 450),
    "orientation-landscape_8.jpg": (600, 450),
    "orientation-portrait_6.jpg": (450, 600),
    "gps-DSCN0010.jpg": (640, 480),
    "gps-DSCN0021.jpg": (640, 480),
    "Canon_40D.jpg": (100, 68),
    "mobile-jolla.jpg": (3264, 2448),
    "olympus-12mp.jpg": (4032, 3024),
    "heic-samplefilehub.heif": (640, 426),
    "xmp-no_exif.jpg": (322, 466),
    "corrupted.jpg": (3648, 2736),
    "invalid-image00971.jpg": (636, 227),
}
ALLOWED_INFO = {
    "jfif",
    "jfif_version",
    "jfif_unit",
    "jfif_density",
    "dpi",
    "progressive",
    "progression",
}


def photo(name: str) -> bytes:
    if not PHOTOS.is_dir():
        pytest.skip(f"shared photo fixtures not found at {PHOTOS} (../shared beside the repo)")
    return (PHOTOS / name).read_bytes()


def fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    scale = min(1.0, edge / max(size))
    return round(size[0] * scale), round(size[1] * scale)


def encode(im: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def assert_clean(variant: Variant) -> Image.Image:
    """A customer-visible variant: a plain RGB JPEG with no metadata at all."""
    assert variant.content_type == "image/jpeg"
    assert b"Exif" not in variant.data
    assert b"http://ns.adobe.com/xap" not in variant.data
    im = Image.open(io.BytesIO(variant.data))
    assert (im.format, im.mode, im.size) == ("JPEG", "RGB", (variant.width, variant.height))
    exif = im.getexif()
    assert len(exif) == 0
    assert len(exif.get_ifd(0x8825)) == 0  # GPS
    assert set(im.info) <= ALLOWED_INFO, set(im.info) - ALLOWED_INFO
    return im


def rejected(data: bytes, **limits: object) -> str:
    with pytest.raises(PhotoRejected) as info:
        process_photo(data, limits=PhotoLimits(**limits))
    assert info.value.message == MESSAGES[info.value.code]
    return info.value.code


def mean_diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


# --- the real photos ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "upright"), FIXTURES.items())
def test_fixture_photo_gives_upright_clean_variants(name: str, upright: tuple[int, int]) -> None:
    data = photo(name)
    result = process_photo(data)
    assert (result.width, result.height) == upright
    assert result.mime == ("image/heic" if name.endswith(".heif") else "image/jpeg")
    assert set(result.variants) == {"thumb", "display"}
    assert (result.variants["display"].width, result.variants["display"].height) == fit(
        upright, 1600
    )
    assert (result.variants["thumb"].width, result.variants["thumb"].height) == fit(upright, 320)
    for variant in result.variants.values():
        assert_clean(variant)


def test_sources_really_carry_the_metadata_we_strip() -> None:
    """Guards the test above against fixtures that silently lost their GPS/XMP."""
    for name in ("gps-DSCN0010.jpg", "gps-DSCN0021.jpg", "Canon_40D.jpg"):
        assert len(Image.open(io.BytesIO(photo(name))).getexif().get_ifd(0x8825)) > 0
    assert b"http://ns.adobe.com/xap" in photo("xmp-no_exif.jpg")


@pytest.mark.parametrize(
    "name",
    ["orientation-landscape_3.jpg", "orientation-landscape_6.jpg", "orientation-landscape_8.jpg"],
)
def test_rotated_photos_match_the_upright_one_pixel_for_pixel(name: str) -> None:
    reference = Image.open(
        io.BytesIO(process_photo(photo("orientation-landscape_1.jpg")).variants["display"].data)
    )
    rotated = Image.open(io.BytesIO(process_photo(photo(name)).variants["display"].data))
    assert rotated.size == reference.size
    assert mean_diff(rotated, reference) < 8  # the wrong rotation differs by ~65


def test_canon_is_never_upscaled_and_exif_date_is_read() -> None:
    result = process_photo(photo("Canon_40D.jpg"))
    for variant in result.variants.values():
        assert (variant.width, variant.height) == (100, 68)
    assert result.taken_at == datetime(2008, 5, 30, 15, 56, 1)
    assert result.taken_at_offset is None
    assert result.taken_at_aware is None


def test_heic_from_an_iphone_is_accepted() -> None:
    result = process_photo(photo("heic-samplefilehub.heif"))
    assert (result.mime, result.width, result.height) == ("image/heic", 640, 426)


@pytest.mark.parametrize(
    ("name", "size"), [("corrupted.jpg", (3648, 2736)), ("invalid-image00971.jpg", (636, 227))]
)
def test_damaged_fixtures_are_accepted_because_their_pixels_decode(
    name: str, size: tuple[int, int]
) -> None:
    """Decision: their damage is in the metadata (EXIF parsers choke); the pixel data is
    complete, so we take what decodes rather than refuse a real site photo."""
    result = process_photo(photo(name))
    assert (result.width, result.height) == size


def test_keep_original_keeps_the_exact_bytes_apart_from_the_variants() -> None:
    data = photo("gps-DSCN0010.jpg")
    result = process_photo(data, limits=PhotoLimits(keep_original=True))
    original = result.variants["original"]
    assert (original.data, original.content_type) == (data, "image/jpeg")
    assert (original.width, original.height) == (640, 480)
    assert_clean(result.variants["display"])


# --- generated images ----------------------------------------------------------------------


def test_orientation_date_and_offset_from_generated_exif() -> None:
    im = Image.new("RGB", (80, 40), "white")
    im.paste((255, 0, 0), (0, 0, 40, 40))  # stored: red on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    exif.get_ifd(0x8769).update({0x9003: "2024:03:05 14:22:01", 0x9011: "+08:00"})
    exif.get_ifd(0x8825).update({1: "N", 2: (22.0, 32.0, 0.0)})
    result = process_photo(encode(im, exif=exif, quality=95))
    assert (result.width, result.height) == (40, 80)
    thumb = assert_clean(result.variants["thumb"])
    assert thumb.size == (40, 80)
    r, g, _ = thumb.getpixel((20, 10))  # red ends up on top
    assert r > 200
    assert g < 60
    assert result.taken_at == datetime(2024, 3, 5, 14, 22, 1)
    assert result.taken_at_offset == timedelta(hours=8)
    assert result.taken_at_aware == datetime(2024, 3, 5, 6, 22, 1, tzinfo=UTC)


def test_placeholder_exif_date_gives_none() -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "0000:00:00 00:00:00"
    result = process_photo(encode(Image.new("RGB", (8, 8)), exif=exif))
    assert result.taken_at is None


@pytest.mark.parametrize(
    ("im", "fmt", "params"),
    [
        (Image.new("RGBA", (20, 10), (0, 0, 0, 0)), "PNG", {}),
        (Image.new("LA", (20, 10), (0, 0)), "PNG", {}),
        (Image.new("P", (20, 10), 0), "PNG", {"transparency": 0}),
        (Image.new("RGBA", (20, 10), (0, 0, 0, 0)), "WEBP", {"lossless": True}),
    ],
    ids=["rgba-png", "la-png", "p-transparent-png", "rgba-webp"],
)
def test_transparency_is_flattened_onto_white(im: Image.Image, fmt: str, params: dict) -> None:
    result = process_photo(encode(im, fmt, **params))
    assert assert_clean(result.variants["display"]).getpixel((10, 5)) >= (250, 250, 250)


def test_cmyk_and_16_bit_grey_become_rgb() -> None:
    cmyk = process_photo(encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0))))  # red ink
    r, g, b = assert_clean(cmyk.variants["display"]).getpixel((8, 8))
    assert r > 200
    assert g < 60
    assert b < 60
    grey = Image.new("I;16", (16, 16), 32768)  # mid grey, not clipped to white
    value = assert_clean(process_photo(encode(grey, "PNG")).variants["display"]).getpixel((8, 8))
    assert all(120 <= v <= 136 for v in value)


def test_non_srgb_icc_profile_is_converted_to_srgb_then_dropped() -> None:
    icc = Image.open(io.BytesIO(photo("orientation-landscape_3.jpg"))).info["icc_profile"]
    src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    assert not src.profile.profile_description.startswith("sRGB")  # "Generic RGB Profile"
    im = Image.new("RGB", (16, 16), (40, 160, 40))
    expected = ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"))
    tagged = assert_clean(
        process_photo(encode(im, icc_profile=icc, quality=95)).variants["display"]
    )
    plain = assert_clean(process_photo(encode(im, quality=95)).variants["display"])
    assert mean_diff(tagged, expected) < 3
    assert mean_diff(plain, im) < 3
    assert mean_diff(tagged, plain) > 8  # the conversion really happened


def test_broken_icc_profile_is_ignored_not_fatal() -> None:
    data = encode(Image.new("RGB", (16, 16), (40, 160, 40)), icc_profile=b"not a profile" * 20)
    display = assert_clean(process_photo(data).variants["display"])
    assert mean_diff(display, Image.new("RGB", (16, 16), (40, 160, 40))) < 3


def test_multi_frame_mpo_uses_frame_zero() -> None:
    first, second = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (200, 100), "blue")
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).n_frames == 2
    result = process_photo(data)
    assert (result.mime, result.width, result.height) == ("image/jpeg", 64, 48)
    r, _, b = assert_clean(result.variants["display"]).getpixel((32, 24))
    assert r > 200
    assert b < 60


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` zeros: a few hundred KB on disk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = (b"\x00" + bytes((width + 7) // 8)) * 1000
    packer = zlib.compressobj(1)
    idat = b"".join(packer.compress(rows) for _ in range(height // 1000)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_png_decompression_bomb_caught_by_pillow_guard() -> None:
    assert rejected(png_bomb(30000, 30000)) == "too_many_pixels"  # 900 MP


def test_png_bomb_under_pillows_guard_caught_by_our_header_check() -> None:
    assert rejected(png_bomb(9000, 8000)) == "too_many_pixels"  # 72 MP > 64 MP


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(encode(Image.new("RGB", (16, 16))))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("size", [(10000, 8000), (65000, 65000)])
def test_jpeg_header_size_is_checked_before_decoding(size: tuple[int, int]) -> None:
    # The pixel data is 16x16: decoding would fail as corrupt, so this proves the order.
    assert rejected(jpeg_claiming(*size)) == "too_many_pixels"


def test_max_pixels_limit_is_configurable() -> None:
    assert rejected(encode(Image.new("RGB", (100, 100))), max_pixels=9999) == "too_many_pixels"


def test_polyglot_jpeg_html_is_reencoded_without_the_html() -> None:
    base = encode(Image.new("RGB", (40, 30), "green"))
    data = base + b"<html><body><script>alert(document.cookie)</script></body></html>"
    result = process_photo(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    for variant in result.variants.values():
        assert_clean(variant)
        assert b"<script" not in variant.data
        assert b"<html" not in variant.data


def test_polyglot_jpeg_zip_is_reencoded_without_the_zip() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.html", "<script>alert(1)</script>")
    data = encode(Image.new("RGB", (40, 30), "green")) + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(data))  # really a polyglot
    for variant in process_photo(data).variants.values():
        assert not zipfile.is_zipfile(io.BytesIO(variant.data))
        assert b"PK\x03\x04" not in variant.data
        assert b"<script" not in variant.data


def test_jpeg_comment_and_xmp_payloads_are_dropped() -> None:
    data = encode(Image.new("RGB", (40, 30)), comment=b"<script>x</script>", xmp=b"<x:xmpmeta/>")
    for variant in process_photo(data).variants.values():
        assert_clean(variant)
        assert b"<script" not in variant.data
        assert b"xmpmeta" not in variant.data


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "unsupported_type"),
        (b"<svg onload='alert(1)'></svg>", "unsupported_type"),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "not_an_image"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "not_an_image"),
        (b"MZ\x90\x00" + bytes(60), "not_an_image"),
        (b"\x7fELF\x02\x01\x01" + bytes(57), "not_an_image"),
        (b"PK\x03\x04" + bytes(26), "not_an_image"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "not_an_image"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "unsupported_type"),
        (encode(Image.new("P", (8, 8)), "GIF"), "unsupported_type"),
        (encode(Image.new("RGB", (8, 8)), "TIFF"), "unsupported_type"),
        (encode(Image.new("RGB", (8, 8)), "BMP"), "unsupported_type"),
        (b"\xff\xd8\xff\xe0 definitely not a jpeg", "corrupt"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "corrupt"),
    ],
    ids=[
        "zero-byte",
        "svg-xml",
        "svg",
        "pdf",
        "html",
        "exe",
        "elf",
        "zip",
        "mp4",
        "avif",
        "gif",
        "tiff",
        "bmp",
        "jpeg-magic-only",
        "heic-magic-only",
    ],
)
def test_refused_uploads_have_the_right_code(data: bytes, code: str) -> None:
    assert rejected(data) == code


def generated(fmt: str) -> bytes:
    im = Image.radial_gradient("L").convert("RGB")
    return encode(im, fmt, **({"quality": 90} if fmt in ("JPEG", "HEIF", "WEBP") else {}))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_truncated_files_are_corrupt(fmt: str) -> None:
    data = generated(fmt)
    assert process_photo(data).width == 256
    assert rejected(data[: len(data) // 2]) == "corrupt"


def test_truncated_real_photo_is_corrupt() -> None:
    data = photo("gps-DSCN0010.jpg")
    assert rejected(data[: len(data) * 2 // 3]) == "corrupt"


def test_size_limit_is_inclusive() -> None:
    data = generated("PNG")
    assert process_photo(data, limits=PhotoLimits(max_bytes=len(data))).width == 256
    assert rejected(data, max_bytes=len(data) - 1) == "too_large"


def test_sniff_reads_content_not_names() -> None:
    assert sniff(generated("WEBP")) == ("WEBP", "image/webp")
    assert sniff(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf") == ("HEIF", "image/heif")


def test_every_code_has_an_english_sentence() -> None:
    assert set(MESSAGES) == {
        "empty",
        "too_large",
        "not_an_image",
        "unsupported_type",
        "too_many_pixels",
        "corrupt",
    }
    for message in MESSAGES.values():
        assert message[0].isupper()
        assert message.endswith(".")


async def test_async_wrapper_runs_in_a_bounded_worker_thread(monkeypatch) -> None:
    threads = []
    real = pipeline.process_photo

    def spy(data: bytes, *, limits: PhotoLimits) -> ProcessedPhoto:
        threads.append(threading.get_ident())
        return real(data, limits=limits)

    monkeypatch.setattr(pipeline, "process_photo", spy)
    result = await process_photo_async(generated("JPEG"), limits=PhotoLimits(thumb_edge=64))
    assert isinstance(result, ProcessedPhoto)
    assert (result.variants["thumb"].width, result.variants["display"].width) == (64, 256)
    assert threads
    assert threads[0] != threading.get_ident()  # not on the event loop's thread
    assert pipeline._LIMITER.total_tokens == 2


# --- fuzzing ---------------------------------------------------------------------------------

MAGIC = [
    b"",
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"\x89PNG\r\n\x1a\n",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
]
SEED = encode(Image.radial_gradient("L").resize((32, 32)).convert("RGB"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.tuples(st.sampled_from(MAGIC), st.binary(max_size=2048)).map(b"".join),
        st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), max_size=8).map(
            lambda edits: bytes(_mutate(SEED, edits))
        ),
    )
)
def test_arbitrary_bytes_only_ever_raise_photo_rejected(data: bytes) -> None:
    try:
        result = process_photo(data)
    except PhotoRejected as exc:
        code = exc.code
    else:
        code = "accepted"
        for variant in result.variants.values():
            assert_clean(variant)
    assert code in {"accepted", *MESSAGES}


def _mutate(seed: bytes, edits: list[tuple[int, int]]) -> bytearray:
    out = bytearray(seed)
    for position, value in edits:
        out[position] = value
    return out
