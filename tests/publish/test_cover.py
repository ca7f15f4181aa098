"""Cover art with real Pillow: checking, preparing and drawing covers, read back from disk."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageDraw, ImageFont

from yomiage.errors import ConfigError, YomiageError
from yomiage.publish import cover
from yomiage.publish.cover import (
    ELLIPSIS,
    MAX_BYTES,
    NO_LINE_START,
    PALETTES,
    CoverLayout,
    TextBlock,
    cover_problem,
    draw_cover,
    font_path,
    layout_cover,
    prepare_cover,
    render_cover,
)

SHOW = "よみあげラジオ"
TITLE = "イリヤ・サツケバー氏インタビュー要約：AGI、アライメント、そして未来"
LONG_TITLE = "生成AIと日本語の読み上げについて考える長い題名、" * 12
ORIENTATION = 0x0112  # the EXIF tag


# --- building test images ----------------------------------------------------------


def _gradient(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A smooth two-colour picture: photo-like enough to compress like one."""
    ramp = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_90), ramp))
    return image.convert(mode)


def _save(image: Image.Image, path: Path, **params: object) -> Path:
    image.save(path, **params)  # type: ignore[arg-type]
    return path


def _halves(size: int, left: tuple[int, int, int], right: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (size, size), right)
    image.paste(left, (0, 0, size // 2, size))
    return image


def _read(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    return image


def _assert_podcast_jpeg(path: Path, side: int) -> Image.Image:
    image = _read(path)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (side, side)
    assert not image.info.get("progressive")
    assert not image.info.get("progression")
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert _frame_type(path.read_bytes()) == 0xC0  # SOF0: baseline DCT, not SOF2
    return image


def _frame_type(data: bytes) -> int:
    """The JPEG's start-of-frame marker, found by walking the segments before the scan."""
    assert data[:2] == b"\xff\xd8"
    at = 2
    while data[at] == 0xFF and data[at + 1] != 0xDA:  # up to start of scan
        marker = data[at + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return marker
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    raise AssertionError("no start-of-frame segment")


def _close(pixel: object, expected: tuple[int, int, int], within: int = 8) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= within for a, b in zip(pixel, expected, strict=True))


# --- cover_problem ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "fmt"), [((1400, 1400), "PNG"), ((3000, 3000), "JPEG"), ((3200, 3200), "PNG")]
)
def test_square_covers_in_range_or_larger_are_fine(
    tmp_path: Path, size: tuple[int, int], fmt: str
) -> None:
    path = _save(Image.new("RGB", size, "navy"), tmp_path / f"cover.{fmt.lower()}", format=fmt)
    assert cover_problem(path) is None


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ((1600, 1500), "is 1600x1500 px: a cover must be square"),
        ((1200, 800), "is 1200x800 px: a cover must be square and at least 1400x1400 px"),
        (
            (800, 800),
            "is 800x800 px: a cover must be at least 1400x1400 px (Apple Podcasts refuses smaller ones)",
        ),
        (
            (1399, 1399),
            "is 1399x1399 px: a cover must be at least 1400x1400 px (Apple Podcasts refuses smaller ones)",
        ),
    ],
)
def test_wrong_sizes_are_named(tmp_path: Path, size: tuple[int, int], message: str) -> None:
    path = _save(Image.new("RGB", size, "navy"), tmp_path / "cover.jpg")
    assert cover_problem(path) == message


def test_the_size_is_the_one_a_viewer_shows_after_exif_rotation(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # stored 1500 wide, shown 1500 tall
    path = _save(Image.new("RGB", (1500, 1400)), tmp_path / "turned.jpg", exif=exif)
    assert cover_problem(path) == "is 1400x1500 px: a cover must be square"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("text.png", "これは画像ではありません".encode()),
        ("empty.jpg", b""),
        ("png-header-only.png", b"\x89PNG\r\n\x1a\n"),
    ],
)
def test_files_that_are_not_images(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert cover_problem(path) == "is not a JPEG or PNG image"


def test_other_image_formats_are_refused(tmp_path: Path) -> None:
    gif = _save(Image.new("P", (1400, 1400)), tmp_path / "cover.gif")
    webp = _save(Image.new("RGB", (1400, 1400)), tmp_path / "cover.webp", format="WEBP")
    assert cover_problem(gif) == "is not a JPEG or PNG image"
    assert cover_problem(webp) == "is not a JPEG or PNG image"


def test_a_truncated_jpeg_cannot_be_read(tmp_path: Path) -> None:
    whole = _save(_gradient((1400, 1400)), tmp_path / "whole.jpg", quality=95)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    problem = cover_problem(cut)
    assert problem is not None
    assert problem.startswith("cannot be read (")
    assert "truncated" in problem


def test_a_damaged_png_cannot_be_read(tmp_path: Path) -> None:
    noise = Image.effect_noise((1400, 1400), 60)  # noise: the image data fills the file
    data = bytearray(_save(noise, tmp_path / "whole.png").read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # scribble over the compressed pixels
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(bytes(data))
    problem = cover_problem(damaged)
    assert problem is not None
    assert problem.startswith("cannot be read (") and "data stream" in problem  # zlib's words
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(bytes(data[:middle]))
    assert cover_problem(truncated) == "cannot be read (image file is truncated)"


def test_missing_files_and_folders(tmp_path: Path) -> None:
    assert cover_problem(tmp_path / "nowhere.png") == "does not exist"
    assert cover_problem(tmp_path) == "is a folder, not an image"


def test_an_image_over_pillows_pixel_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _save(Image.new("RGB", (1400, 1400)), tmp_path / "cover.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000 * 1000)  # 1.96 M is now a "bomb"
    assert cover_problem(path) == "is too large to open safely (over 1,000,000 pixels)"


# --- prepare_cover ---------------------------------------------------------------


def test_a_large_transparent_png_becomes_a_3000_px_rgb_jpeg_on_white(tmp_path: Path) -> None:
    source = Image.new("RGBA", (3200, 3200), (0, 0, 0, 0))  # transparent all round
    source.paste((200, 30, 30, 255), (800, 800, 2400, 2400))
    dest = tmp_path / "out" / "cover.jpg"
    dest.parent.mkdir()
    prepare_cover(_save(source, tmp_path / "big.png"), dest)
    image = _assert_podcast_jpeg(dest, 3000)
    assert _close(image.getpixel((10, 10)), (255, 255, 255), within=2)  # flattened onto white
    assert _close(image.getpixel((1500, 1500)), (200, 30, 30))
    assert [p.name for p in dest.parent.iterdir()] == ["cover.jpg"]  # no temporary left


def test_a_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    source = Image.new("CMYK", (1500, 1500), (0, 255, 255, 0))  # full magenta + yellow: red
    path = _save(source, tmp_path / "cmyk.jpg", quality=95)
    assert _read(path).mode == "CMYK"
    dest = tmp_path / "cover.jpg"
    prepare_cover(path, dest)
    image = _assert_podcast_jpeg(dest, 1500)
    assert _close(image.getpixel((750, 750)), (255, 0, 0), within=12)


def test_a_palette_png_with_a_transparent_colour_is_flattened(tmp_path: Path) -> None:
    source = Image.new("P", (1400, 1400), 1)
    source.putpalette([0, 0, 0, 20, 90, 200])
    source.paste(0, (0, 0, 700, 1400))  # the left half uses index 0, made transparent
    path = _save(source, tmp_path / "palette.png", transparency=0)
    assert _read(path).mode == "P"
    dest = tmp_path / "cover.jpg"
    prepare_cover(path, dest)
    image = _assert_podcast_jpeg(dest, 1400)
    assert _close(image.getpixel((300, 700)), (255, 255, 255), within=2)
    assert _close(image.getpixel((1100, 700)), (20, 90, 200))


def test_a_16_bit_grey_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    source = Image.new("I;16", (1400, 1400), 32768)  # mid grey on a 16-bit scale
    path = _save(source, tmp_path / "grey16.png")
    assert _read(path).mode == "I;16"
    dest = tmp_path / "cover.jpg"
    prepare_cover(path, dest)
    image = _assert_podcast_jpeg(dest, 1400)
    assert _close(image.getpixel((700, 700)), (128, 128, 128), within=3)


def test_exif_orientation_is_applied_and_then_dropped(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # shown turned 90 degrees clockwise: the left half goes on top
    source = _halves(1400, (220, 20, 20), (20, 20, 220))
    path = _save(source, tmp_path / "turned.jpg", exif=exif, quality=95)
    dest = tmp_path / "cover.jpg"
    prepare_cover(path, dest)
    image = _assert_podcast_jpeg(dest, 1400)
    assert _close(image.getpixel((700, 200)), (220, 20, 20), within=12)
    assert _close(image.getpixel((700, 1200)), (20, 20, 220), within=12)


def test_an_embedded_profile_is_applied_and_not_copied(tmp_path: Path) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = Image.new("RGB", (1400, 1400), (40, 160, 90))
    path = _save(source, tmp_path / "tagged.png", icc_profile=srgb)
    dest = tmp_path / "cover.jpg"
    prepare_cover(path, dest)
    image = _assert_podcast_jpeg(dest, 1400)
    assert _close(image.getpixel((700, 700)), (40, 160, 90), within=3)


def test_a_broken_profile_is_ignored_like_a_browser_would(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (1400, 1400), (40, 160, 90)), tmp_path / "c.png")
    broken = _save(_read(path), tmp_path / "broken.png", icc_profile=b"not a profile")
    dest = tmp_path / "cover.jpg"
    prepare_cover(broken, dest)
    assert _close(_assert_podcast_jpeg(dest, 1400).getpixel((9, 9)), (40, 160, 90), within=3)


def test_a_progressive_jpeg_comes_out_baseline_and_the_same_each_time(tmp_path: Path) -> None:
    path = _save(_gradient((2000, 2000)), tmp_path / "p.jpg", progressive=True, quality=95)
    assert _read(path).info.get("progressive")
    first, second = tmp_path / "1.jpg", tmp_path / "2.jpg"
    prepare_cover(path, first)
    prepare_cover(path, second)
    _assert_podcast_jpeg(first, 2000)
    assert first.read_bytes() == second.read_bytes()


def test_a_detailed_cover_is_compressed_harder_to_stay_under_the_size_budget(
    tmp_path: Path,
) -> None:
    grain = Image.frombytes("RGB", (3000, 3000), random.Random(7).randbytes(27_000_000))
    source = Image.blend(_gradient((3000, 3000)), grain, 0.06)  # fine detail, like a photo
    plain = io.BytesIO()
    source.save(plain, "JPEG", quality=90, subsampling="4:4:4")
    assert len(plain.getvalue()) > MAX_BYTES  # so the budget has to step in
    dest = tmp_path / "cover.jpg"
    prepare_cover(_save(source, tmp_path / "photo.png"), dest)
    _assert_podcast_jpeg(dest, 3000)
    assert dest.stat().st_size <= MAX_BYTES


def test_prepare_replaces_an_old_cover_whole(tmp_path: Path) -> None:
    dest = tmp_path / "cover.jpg"
    dest.write_bytes(b"old")
    prepare_cover(_save(Image.new("RGB", (1400, 1400), "teal"), tmp_path / "c.png"), dest)
    _assert_podcast_jpeg(dest, 1400)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_text("not an image"), "is not a JPEG or PNG image"),
        (lambda p: Image.new("RGB", (1200, 800)).save(p, "PNG"), "is 1200x800 px"),
        (lambda p: Image.new("RGB", (800, 800)).save(p, "PNG"), "at least 1400x1400 px"),
        (lambda p: None, "does not exist"),
    ],
)
def test_unusable_sources_raise_one_line_naming_the_file(
    tmp_path: Path, make: object, expected: str
) -> None:
    source = tmp_path / "art.png"
    assert callable(make)
    make(source)
    dest = tmp_path / "cover.jpg"
    with pytest.raises(ConfigError) as caught:
        prepare_cover(source, dest)
    message = str(caught.value)
    assert message.startswith(f"cover image {source} ")
    assert expected in message
    assert "\n" not in message
    assert not dest.exists()


def test_a_truncated_source_raises_config_error(tmp_path: Path) -> None:
    whole = _save(_gradient((1400, 1400)), tmp_path / "whole.jpg", quality=95)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[:5000])
    with pytest.raises(ConfigError, match=r"cover image .*cut\.jpg cannot be read \("):
        prepare_cover(cut, tmp_path / "cover.jpg")


# --- the font ------------------------------------------------------------------------


def _glyph(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    canvas = Image.new("L", (120, 120))
    ImageDraw.Draw(canvas).text((10, 10), char, fill=255, font=font)
    return canvas.tobytes()


def test_the_font_is_ipaex_gothic_and_has_japanese_glyphs() -> None:
    path = font_path()
    assert path.name == "ipaexg.ttf"
    assert path.is_file()
    font = ImageFont.truetype(str(path), 100)
    assert font.getname()[0] == "IPAexGothic"
    notdef = _glyph(font, "\u0378")  # an unassigned code point: the "missing glyph" box
    for char in "読み上げ漢字ラジオ":
        assert font.getmask(char).getbbox() is not None
        assert _glyph(font, char) != notdef, char


def test_no_matplotlib_is_imported_to_find_the_font() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from yomiage.publish.cover import font_path; font_path();"
        "print(any(m.startswith(('matplotlib', 'matplotlib_fontja')) for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_a_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cover, "FONT_FILE", tmp_path / "missing.ttf")
    with pytest.raises(YomiageError, match=r"Japanese font .*missing\.ttf is missing"):
        font_path()


# --- draw_cover ----------------------------------------------------------------------


def test_draw_cover_writes_a_podcast_ready_jpeg_the_same_every_time(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jpg", tmp_path / "b.jpg"
    draw_cover(SHOW, TITLE, first)
    draw_cover(SHOW, TITLE, second)
    _assert_podcast_jpeg(first, 1400)
    assert first.read_bytes() == second.read_bytes()
    assert cover_problem(first) is None  # a drawn cover passes our own check
    prepare_cover(first, tmp_path / "prepared.jpg")


def test_draw_cover_at_3000_px(tmp_path: Path) -> None:
    dest = tmp_path / "big.jpg"
    draw_cover(SHOW, TITLE, dest, size=3000)
    _assert_podcast_jpeg(dest, 3000)
    assert dest.stat().st_size <= MAX_BYTES


def test_different_titles_give_different_covers(tmp_path: Path) -> None:
    draw_cover(SHOW, "第一回", tmp_path / "1.jpg")
    draw_cover(SHOW, "第二回", tmp_path / "2.jpg")
    assert (tmp_path / "1.jpg").read_bytes() != (tmp_path / "2.jpg").read_bytes()


def _ink_pixels(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How many pixels in box are light, as the text is on a dark ground."""
    grey = image.crop(box).convert("L")
    return sum(1 for value in grey.tobytes() if value > 160)


def test_the_japanese_text_is_actually_drawn() -> None:
    layout = layout_cover(SHOW, "漢字読解講座")
    assert layout.title is not None
    image = render_cover(layout)
    left, top, right, bottom = layout.title.box
    ink = _ink_pixels(image, layout.title.box)
    assert ink > (right - left) * (bottom - top) * 0.08  # strokes, not a few stray pixels
    # each glyph's column has ink: no blank (missing) character in the line
    per_char = (right - left) / len("漢字読解講座")
    for i in range(len("漢字読解講座")):
        column = (round(left + i * per_char), top, round(left + (i + 1) * per_char), bottom)
        assert _ink_pixels(image, column) > 200, i
    assert _ink_pixels(image, layout.show.box) > 2000


def _assert_inside_margins(layout: CoverLayout) -> None:
    low, high = layout.margin, layout.size - layout.margin
    blocks = [layout.show] if layout.title is None else [layout.show, layout.title]
    for block in blocks:
        left, top, right, bottom = block.box
        assert low - 4 <= left and right <= high, block  # glyph side bearings may reach 4 px
        assert low <= top and bottom <= layout.wave[1], block
    assert layout.show.box[3] < (layout.title.box[1] if layout.title else layout.wave[1])


def _assert_margins_blank(image: Image.Image, margin: int) -> None:
    """The background is a vertical gradient: any ink would make a margin row uneven."""
    inner = margin - 6  # the margin, less a little room for glyph side bearings
    strips = [
        (0, 0, image.width, inner),
        (0, image.height - inner, image.width, image.height),
        (0, 0, inner, image.height),
        (image.width - inner, 0, image.width, image.height),
    ]
    for strip in strips:
        region = image.crop(strip)
        for y in range(region.height):
            row = region.crop((0, y, region.width, y + 1))
            extrema = row.getextrema()
            assert all(lo == hi for lo, hi in extrema), (strip, y, extrema)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "title",
    [
        TITLE,
        LONG_TITLE,
        None,
        "Transformerモデルの仕組み：Attention Is All You Needを読む",
        "https://example.com/a-very-long-address-without-any-spaces-at-all-" * 3,
        "「」、。" * 30,
    ],
)
@pytest.mark.parametrize("size", [1400, 2000])
def test_text_stays_inside_the_margins(title: str | None, size: int) -> None:
    layout = layout_cover(SHOW, title, size)
    _assert_inside_margins(layout)
    _assert_margins_blank(render_cover(layout), layout.margin)


def test_a_long_show_name_stays_inside_too() -> None:
    layout = layout_cover("日本語ニュース解説チャンネル" * 4, TITLE)
    _assert_inside_margins(layout)
    assert len(layout.show.lines) <= 2
    assert layout.show.lines[-1].endswith(ELLIPSIS)


def test_the_sample_title_breaks_between_words() -> None:
    layout = layout_cover(SHOW, TITLE)
    assert layout.show.lines == (SHOW,)
    assert layout.title is not None
    assert layout.title.lines == (
        "イリヤ・サツケバー氏",
        "インタビュー要約：",
        "AGI、アライメント、",
        "そして未来",
    )


def test_a_short_title_is_set_larger_than_a_long_one() -> None:
    short, long = layout_cover(SHOW, "短い題"), layout_cover(SHOW, LONG_TITLE)
    assert short.title is not None and long.title is not None
    assert short.title.font_size > long.title.font_size


def test_a_title_too_long_for_four_lines_ends_in_an_ellipsis() -> None:
    title = _title(layout_cover(SHOW, LONG_TITLE))
    assert len(title.lines) == 4
    assert title.lines[-1].endswith(ELLIPSIS)
    assert not title.lines[-1].endswith("、" + ELLIPSIS)  # no dangling comma before it
    assert "".join(title.lines)[:-1] in LONG_TITLE


def _title(layout: CoverLayout) -> TextBlock:
    assert layout.title is not None
    return layout.title


@pytest.mark.parametrize(
    "title",
    [
        TITLE,
        "「読み上げ」の技術、そして音声合成。日本語の文章は、どこで改行するべきか？" * 2,
        "ちょっと待って！ちゃんと聞いてね、ラッキーなニュースです。ー" * 3,
        "GPT-4oとClaude 3.5 Sonnetを比べてみた：1,000件の記事で",
    ],
)
def test_lines_follow_the_kinsoku_rules_and_keep_words_whole(title: str) -> None:
    lines = _title(layout_cover(SHOW, title)).lines
    for line in lines[1:]:
        assert line[0] not in NO_LINE_START, lines
    for line in lines[:-1]:
        assert line[-1] not in "「『（", lines
    for word in ("GPT-4o", "Claude", "3.5", "Sonnet", "1,000"):
        if word in title:
            assert any(word in line for line in lines), (word, lines)


def test_a_show_level_cover_has_no_title() -> None:
    for title in (None, "   "):
        layout = layout_cover(SHOW, title)
        assert layout.title is None and layout.rule_y is None
        assert layout.show.font_size > layout_cover(SHOW, TITLE).show.font_size


def test_only_podcast_sizes_are_drawn(tmp_path: Path) -> None:
    for size in (1000, 3001):
        with pytest.raises(ValueError, match="1400 to 3000 px"):
            draw_cover(SHOW, TITLE, tmp_path / "c.jpg", size=size)


def test_text_that_fits_gets_no_ellipsis_even_if_it_must_break_against_kinsoku() -> None:
    title = _title(layout_cover(SHOW, "「」、。" * 12))  # nowhere a line may legally start
    assert "".join(title.lines) == "「」、。" * 12


def test_a_blank_show_name_is_a_bug() -> None:
    with pytest.raises(ValueError, match="show name"):
        layout_cover("  ", TITLE)


def _luminance(colour: tuple[int, int, int]) -> float:
    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("palette", PALETTES)
def test_every_palette_has_strong_text_contrast(palette: cover.Palette) -> None:
    for ground in (palette.top, palette.bottom):
        for text in (palette.show, palette.title):
            ratio = (_luminance(text) + 0.05) / (_luminance(ground) + 0.05)
            assert ratio >= 10, (text, ground, ratio)  # WCAG AAA asks for 7


def test_a_show_keeps_its_palette_across_episodes() -> None:
    assert layout_cover(SHOW, "第一回").palette == layout_cover(SHOW, "第二回").palette


def test_the_drawn_jpeg_looks_like_the_rendered_image(tmp_path: Path) -> None:
    dest = tmp_path / "c.jpg"
    draw_cover(SHOW, TITLE, dest)
    rendered = render_cover(layout_cover(SHOW, TITLE))
    saved = _read(dest)
    difference = [abs(a - b) for a, b in zip(rendered.tobytes(), saved.tobytes(), strict=True)]
    assert sum(difference) / len(difference) < 2
