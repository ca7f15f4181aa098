"""Cover art: check a user's image, prepare it for podcast players, or draw one.

Apple Podcasts (and the players that copy its rules) want a square JPEG or PNG,
1400 to 3000 px a side, in RGB. Every cover this module writes is a baseline
JPEG in sRGB without EXIF or ICC data: some players fail on progressive JPEGs,
and an EXIF orientation would be applied twice once the pixels are turned.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import math
import re
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from yomiage.errors import ConfigError, YomiageError
from yomiage.files.atomic import write_bytes_atomic
from yomiage.writing import (
    HIRAGANA,
    KANJI,
    KATAKANA,
    LATIN,
    LATIN_WORD,
    NO_LINE_END,
    NO_LINE_START,
    phrase_ends,
    script_of,
)

MIN_SIDE = 1400
MAX_SIDE = 3000
MAX_BYTES = 1_000_000  # a soft budget: the cover is copied into every episode's tag
# Re-encode until the file fits the budget. 4:4:4 first: covers are often
# lettering, whose coloured edges 4:2:0 chroma subsampling smears.
JPEG_STEPS = ((90, "4:4:4"), (90, "4:2:0"), (85, "4:2:0"), (80, "4:2:0"), (75, "4:2:0"))
WHITE = (255, 255, 255)
# Only these decoders are tried; Pillow's JPEG one also opens phones' MPO files.
_FORMATS = ("JPEG", "PNG")
_TURNED = {5, 6, 7, 8}  # EXIF orientations that swap width and height

# IPAex Gothic 00401, shipped in the package with its licence (IPA Font License v1.0,
# which allows redistribution): a 6 MB file, where matplotlib-fontja brought all of
# matplotlib for it. The same bytes as Debian's fonts-ipaexfont-gothic 00401-5.
FONT_FILE = Path(__file__).parents[1] / "data" / "fonts" / "ipaexg.ttf"


class _Unusable(Exception):
    """An image that cannot be a cover; the message completes "<file> ..."."""


# ------------------------------------------------------------- checking a cover


def cover_problem(path: Path) -> str | None:
    """Why path cannot be a podcast cover ("is 1200x800 px: ..."), or None if it can."""
    try:
        with _open(path) as image:
            return _size_problem(*_shown_size(image))
    except _Unusable as exc:
        return str(exc)


def _open(path: Path) -> Image.Image:
    """The image at path with its pixels decoded, so a truncated file fails here."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its pixel limit and twice it; a cover never gets there
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path, formats=_FORMATS)
        image.load()
    except FileNotFoundError:
        raise _Unusable("does not exist") from None
    except IsADirectoryError:
        raise _Unusable("is a folder, not an image") from None
    except UnidentifiedImageError:
        raise _Unusable("is not a JPEG or PNG image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        limit = Image.MAX_IMAGE_PIXELS or 0
        raise _Unusable(f"is too large to open safely (over {limit:,} pixels)") from None
    except (OSError, SyntaxError, ValueError) as exc:  # Pillow's words for a damaged file
        raise _Unusable(f"cannot be read ({_reason(exc)})") from None
    return image


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _shown_size(image: Image.Image) -> tuple[int, int]:
    """Width and height as a viewer shows them, after the EXIF orientation."""
    width, height = image.size
    turned = image.getexif().get(ExifTags.Base.Orientation) in _TURNED
    return (height, width) if turned else (width, height)


def _size_problem(width: int, height: int) -> str | None:
    found = f"is {width}x{height} px"
    small = min(width, height) < MIN_SIDE
    if width != height:
        minimum = f" and at least {MIN_SIDE}x{MIN_SIDE} px" if small else ""
        return f"{found}: a cover must be square{minimum}"
    if small:
        minimum = f"at least {MIN_SIDE}x{MIN_SIDE} px"
        return f"{found}: a cover must be {minimum} (Apple Podcasts refuses smaller ones)"
    return None  # larger than MAX_SIDE is fine: prepare_cover scales it down


# ------------------------------------------------------------ preparing a cover


def prepare_cover(source: Path, dest: Path) -> None:
    """Write source to dest as a baseline sRGB JPEG of at most 3000x3000 px.

    The file is written whole or not at all. Raises ConfigError naming source
    if it is not a usable cover.
    """
    try:
        with _open(source) as image:
            problem = _size_problem(*_shown_size(image))
            if problem is not None:
                raise _Unusable(problem)
            rgb = _to_srgb(ImageOps.exif_transpose(image))
    except _Unusable as exc:
        raise ConfigError(f"cover image {source} {exc}") from None
    if rgb.width > MAX_SIDE:
        rgb = rgb.resize((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    write_bytes_atomic(dest, _jpeg_within_budget(rgb))


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB pixels in sRGB: 16-bit scaled, transparency on white, colour profile applied."""
    profile = image.info.get("icc_profile")
    if image.mode.startswith("I"):  # 16-bit grey: Pillow's convert clips, not scales
        image = image.convert("I").point(lambda value: value / 257).convert("L")
    image = _flatten(image)
    if profile:
        image = _apply_profile(image, profile)
    return image.convert("RGB")


def _flatten(image: Image.Image) -> Image.Image:
    """Transparency composited onto white; palettes expanded. Any other mode is kept."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*WHITE, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    if image.mode in ("P", "1"):
        return image.convert("RGB")
    return image


def _apply_profile(image: Image.Image, profile: bytes) -> Image.Image:
    """Pixels converted from the embedded profile to sRGB, which untagged JPEGs mean.

    A damaged profile, or one for another colour space than the pixels, is
    skipped as a web browser would: the pixels are still a usable cover.
    """
    try:
        converted = ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(profile)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def _jpeg_within_budget(image: Image.Image) -> bytes:
    """The best JPEG_STEPS encoding that fits MAX_BYTES, else the same at smaller sizes.

    A noisy, detailed picture can stay over budget at any quality: it is then
    shrunk (never below MIN_SIDE), since the cover is copied into every MP3.
    """
    data = b""
    for side in sorted({image.width, 2048, MIN_SIDE}, reverse=True):
        if side > image.width:
            continue
        sized = (
            image if side == image.width else image.resize((side, side), Image.Resampling.LANCZOS)
        )
        for quality, subsampling in JPEG_STEPS:
            data = _baseline_jpeg(sized, quality, subsampling)
            if len(data) <= MAX_BYTES:
                return data
    return data


def _baseline_jpeg(image: Image.Image, quality: int, subsampling: str) -> bytes:
    buffer = io.BytesIO()
    # optimize only tunes the Huffman tables; the file stays baseline.
    # No exif= or icc_profile= given, so Pillow writes neither.
    options = {
        "quality": quality,
        "subsampling": subsampling,
        "progressive": False,
        "dpi": (72, 72),
    }
    try:
        image.save(buffer, "JPEG", optimize=True, **options)
    except OSError:  # libjpeg's optimize pass can overflow Pillow's buffer on very noisy images
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", optimize=False, **options)
    return buffer.getvalue()


# ------------------------------------------------------------- drawing a cover


Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    top: Colour  # background gradient, top to bottom
    bottom: Colour
    accent: Colour
    show: Colour  # text colours
    title: Colour


# Dark grounds with light text (contrast above 10:1 everywhere); a show keeps
# its palette from episode to episode, chosen by a stable hash of its name.
PALETTES = (
    Palette((28, 44, 78), (12, 20, 38), (242, 184, 75), (255, 255, 255), (222, 229, 240)),
    Palette((14, 56, 58), (6, 30, 32), (244, 150, 112), (255, 255, 255), (228, 240, 238)),
    Palette((60, 30, 78), (25, 12, 38), (128, 214, 199), (255, 255, 255), (235, 225, 242)),
    Palette((32, 60, 45), (13, 30, 22), (236, 198, 106), (255, 255, 255), (225, 238, 229)),
    Palette((46, 48, 68), (19, 20, 30), (240, 96, 122), (255, 255, 255), (228, 229, 238)),
)


Box = tuple[int, int, int, int]  # left, top, right, bottom in pixels


@dataclass(frozen=True)
class TextBlock:
    """Lines of one text, where each is drawn, and the box their ink covers."""

    lines: tuple[str, ...]
    font_size: int
    origins: tuple[tuple[int, int], ...]  # left end of each line's baseline
    stroke: int  # extra ink width around glyphs, to embolden the show name
    box: Box


@dataclass(frozen=True)
class CoverLayout:
    """Everything a generated cover draws, and where."""

    size: int
    margin: int
    palette: Palette
    bar: Box  # the short accent bar above the show name
    show: TextBlock
    rule_y: int | None  # the hairline between show name and title
    title: TextBlock | None
    wave: Box  # the waveform motif along the bottom


def draw_cover(show: str, title: str | None, dest: Path, size: int = MIN_SIDE) -> None:
    """Draw a default cover: the show name large, the episode title (if any) below.

    The same arguments always give the same bytes (with the same Pillow and
    font), so a rebuild leaves an unchanged cover untouched.
    """
    if not MIN_SIDE <= size <= MAX_SIDE:
        raise ValueError(f"a cover is {MIN_SIDE} to {MAX_SIDE} px a side, not {size}")
    layout = layout_cover(show, title, size)
    write_bytes_atomic(dest, _baseline_jpeg(render_cover(layout), 92, "4:4:4"))


def layout_cover(show: str, title: str | None, size: int = MIN_SIDE) -> CoverLayout:
    """Where everything on a generated cover goes; the text is centred in the room left.

    A blank title counts as none; a blank show name is a bug in the caller.
    """
    if not show.strip():
        raise ValueError("a cover needs a show name")
    margin, width = round(size * 0.09), size - 2 * round(size * 0.09)
    wave = (margin, size - margin - round(size * 0.07), size - margin, size - margin)
    text_bottom = wave[1] - round(size * 0.07)
    bar = (margin, margin, margin + round(size * 0.1), margin + round(size * 0.012))
    name_top = bar[3] + round(size * 0.05)
    if title is None or not title.strip():  # a show-level cover: only the name, larger
        room = text_bottom - name_top
        name = _fit_block(show, _Fit(margin, name_top, width, room, 3, size, 0.135, 0.07))
        return _centred(CoverLayout(size, margin, _palette(show), bar, name, None, None, wave))
    name = _fit_block(show, _Fit(margin, name_top, width, size // 3, 2, size, 0.105, 0.06))
    title_top = name.box[3] + round(size * 0.09)
    room = text_bottom - title_top
    block = _fit_block(title, _Fit(margin, title_top, width, room, 4, size, 0.072, 0.042, 1.5))
    rule_y = (name.box[3] + block.box[1]) // 2
    layout = CoverLayout(size, margin, _palette(show), bar, name, rule_y, block, wave)
    return _centred(layout)


def _palette(show: str) -> Palette:
    return PALETTES[zlib.crc32(show.encode("utf-8")) % len(PALETTES)]


def _centred(layout: CoverLayout) -> CoverLayout:
    """layout with bar, name and title moved down to sit midway above the waveform."""
    bottom = (layout.title or layout.show).box[3]
    shift = max(0, (layout.wave[1] - round(layout.size * 0.07) - bottom) // 2)
    left, top, right, low = layout.bar
    return dataclasses.replace(
        layout,
        bar=(left, top + shift, right, low + shift),
        show=_moved(layout.show, shift),
        rule_y=None if layout.rule_y is None else layout.rule_y + shift,
        title=None if layout.title is None else _moved(layout.title, shift),
    )


def _moved(block: TextBlock, shift: int) -> TextBlock:
    left, top, right, bottom = block.box
    origins = tuple((x, y + shift) for x, y in block.origins)
    return dataclasses.replace(
        block, origins=origins, box=(left, top + shift, right, bottom + shift)
    )


def render_cover(layout: CoverLayout) -> Image.Image:
    """The cover described by layout, as an RGB image."""
    image = _background(layout.size, layout.palette)
    draw = ImageDraw.Draw(image)
    accent = layout.palette.accent
    draw.rounded_rectangle(layout.bar, radius=(layout.bar[3] - layout.bar[1]) // 2, fill=accent)
    _draw_block(draw, layout.show, layout.palette.show)
    if layout.title is not None and layout.rule_y is not None:
        rule = (layout.margin, layout.rule_y, layout.size - layout.margin, layout.rule_y)
        draw.line(rule, fill=_mix(accent, 0.4, layout.palette), width=max(1, layout.size // 700))
        _draw_block(draw, layout.title, layout.palette.title)
    _draw_wave(image, layout.wave, accent)
    return image


def _background(size: int, palette: Palette) -> Image.Image:
    """A vertical gradient from palette.top to palette.bottom."""
    ramp = Image.linear_gradient("L").resize((size, size), Image.Resampling.BICUBIC)
    top, bottom = (Image.new("RGB", (size, size), c) for c in (palette.top, palette.bottom))
    return Image.composite(bottom, top, ramp)


def _mix(colour: Colour, amount: float, palette: Palette) -> Colour:
    """colour blended into the background's middle tone: amount 1 is colour itself."""
    red, green, blue = (
        round(c * amount + (t + b) / 2 * (1 - amount))
        for c, t, b in zip(colour, palette.top, palette.bottom, strict=True)
    )
    return (red, green, blue)


def _draw_block(draw: ImageDraw.ImageDraw, block: TextBlock, fill: Colour) -> None:
    font = _font(block.font_size)
    for line, origin in zip(block.lines, block.origins, strict=True):
        draw.text(origin, line, fill, font, "ls", stroke_width=block.stroke, stroke_fill=fill)


def _draw_wave(image: Image.Image, area: Box, colour: Colour) -> None:
    """A row of rounded bars like a voice's waveform, fading out to the right."""
    left, top, right, bottom = area
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    bar = max(2, round(image.width * 0.011))
    gap = round(bar * 0.8)
    count = (right - left + gap) // (bar + gap)
    middle, reach = (top + bottom) / 2, (bottom - top) / 2
    for i in range(count):
        # fixed sums of sines: looks like speech, and is the same on every run
        level = abs(math.sin(i * 0.61) * 0.6 + math.sin(i * 0.23 + 1.0) * 0.4)
        half = max(bar / 2, reach * (0.18 + 0.82 * level))
        x = left + i * (bar + gap)
        shade = round(255 * (1 - 0.75 * i / max(count - 1, 1)))
        box = (x, round(middle - half), x + bar, round(middle + half))
        draw.rounded_rectangle(box, radius=bar // 2, fill=shade)
    image.paste(colour, (0, 0, *image.size), mask)


# ------------------------------------------------------------ fitting the text


@dataclass(frozen=True)
class _Fit:
    """Where a text may go, and the font sizes it may use (fractions of the cover)."""

    left: int
    top: int
    width: int
    height: int
    max_lines: int
    cover: int
    largest: float
    smallest: float
    leading: float = 1.3  # line pitch in font sizes


def _fit_block(text: str, fit: _Fit) -> TextBlock:
    """text at the largest size whose lines fit; at the smallest, cut with an ellipsis.

    Sizes that break lines only between words are tried first, then any size
    that fits with a break inside a word.
    """
    tokens = _tokens(" ".join(text.split()))
    largest, smallest = round(fit.cover * fit.largest), round(fit.cover * fit.smallest)
    sizes = range(largest, smallest - 1, -max(1, fit.cover // 350))
    for between_words in (True, False):
        for font_size in sizes:
            measure = _Measure(font_size, fit)
            spans = _even_spans(tokens, measure, _room(font_size, fit), between_words)
            if spans is not None:
                return _place(_lines(tokens, spans), font_size, fit)
    measure, room = _Measure(smallest, fit), _room(smallest, fit)
    # last resort: a word wider than the line is split, and the text cut short
    tokens = [part for token in tokens for part in _split_if_wide(token, measure)]
    spans = _even_spans(tokens, measure, room, between_words=False)
    lines = _lines(tokens, spans) if spans else _cut(tokens, measure, room)
    return _place(lines, smallest, fit)


def _split_if_wide(token: str, measure: _Measure) -> list[str]:
    return list(token) if measure(token) > measure.width else [token]


def _room(font_size: int, fit: _Fit) -> int:
    """How many lines of font_size the block's height holds, at most max_lines."""
    pitch = round(font_size * fit.leading)
    return min(fit.max_lines, max(1, (fit.height - font_size) // pitch + 1))


def _stroke(font_size: int, fit: _Fit) -> int:
    """Faux bold for the tightly set show name: IPAex Gothic has one weight only."""
    return round(font_size * 0.02) if fit.leading < 1.4 else 0


class _Measure:
    """Line widths at one font size (remembered), and the width a line may take."""

    def __init__(self, font_size: int, fit: _Fit) -> None:
        self.font = _font(font_size)
        self.width = fit.width - 2 * _stroke(font_size, fit)
        self._known: dict[str, float] = {}

    def __call__(self, line: str) -> float:
        line = line.strip()
        if line not in self._known:
            self._known[line] = self.font.getlength(line)
        return self._known[line]


def _place(lines: Sequence[str], font_size: int, fit: _Fit) -> TextBlock:
    font, stroke = _font(font_size), _stroke(font_size, fit)
    ascent, _ = font.getmetrics()
    pitch = round(font_size * fit.leading)
    # the stroke widens the ink on both sides: start it at the margin, not before
    x = fit.left + stroke
    origins = tuple((x, fit.top + ascent + i * pitch) for i in range(len(lines)))
    # each line's ink relative to its origin; the box takes the extremes of all
    # of them, so it can only be larger than the ink, never miss any
    inks = [font.getbbox(line, anchor="ls", stroke_width=stroke) for line in lines]
    box = (
        x + math.floor(min(ink[0] for ink in inks)),
        origins[0][1] + math.floor(min(ink[1] for ink in inks)),
        x + math.ceil(max(ink[2] for ink in inks)),
        origins[-1][1] + math.ceil(max(ink[3] for ink in inks)),
    )
    return TextBlock(tuple(lines), font_size, origins, stroke, box)


# ------------------------------------------------------------ Japanese line breaks

# After these a break reads naturally, like one between words.
SOFT_BREAK_AFTER = frozenset("、。，．,.：；:;！？!?」』）)】・")
_WORD_STARTS = frozenset({KANJI, KATAKANA, LATIN})
# Kanji that end the word before them (サツケバー氏, グーグル社, AI化), so no break.
ATTACHED_SUFFIXES = frozenset("氏様君殿社製的性化式型版用風流者等")
HARD_BREAK_COST = 12.0  # a break inside a word costs as much as 35% slack on a line
ELLIPSIS = "…"
# A Latin word or number stays whole ("GPT-4o", "3.5", "1,000"); anything else
# (kana, kanji, punctuation, a space) is one token, and lines break between tokens.
_TOKEN = re.compile(rf"(?:{LATIN_WORD.pattern})%?|\s+|.", re.DOTALL)

Span = tuple[int, int]  # a line as a range of tokens


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _soft_breaks(tokens: Sequence[str]) -> frozenset[int]:
    """Token indices a line may start at as if between words: after a space or a
    mark, before an opening bracket, where a budoux phrase begins (お客様と|ご当地),
    or where a phrase changes script into a word (サツケバー氏|インタビュー), but
    not out of hiragana (an honorific prefix: お|客様) nor before a suffix that
    ends the word before it (サツケバー|氏)."""
    text = "".join(tokens)
    starts = set(phrase_ends(text))
    soft: set[int] = set()
    offset = 0
    for index in range(1, len(tokens)):
        offset += len(tokens[index - 1])
        before, after = tokens[index - 1], tokens[index]
        marked = before.isspace() or after.isspace() or before[-1] in SOFT_BREAK_AFTER
        opening = after[0] in NO_LINE_END
        word = offset in starts or _starts_word(before[-1], after[0])
        if marked or opening or (word and after[0] not in ATTACHED_SUFFIXES):
            soft.add(index)
    return frozenset(soft)


def _starts_word(before: str, after: str) -> bool:
    was, becomes = script_of(before), script_of(after)
    return was != becomes and was != HIRAGANA and becomes in _WORD_STARTS


def _lines(tokens: Sequence[str], spans: Sequence[Span]) -> list[str]:
    return ["".join(tokens[start:end]).strip() for start, end in spans]


def _can_break(tokens: Sequence[str], at: int) -> bool:
    """Whether a line may end before tokens[at], by the kinsoku rules."""
    return tokens[at][0] not in NO_LINE_START and tokens[at - 1][-1] not in NO_LINE_END


def _greedy_spans(tokens: Sequence[str], measure: _Measure) -> list[Span]:
    """Lines filled as full as the kinsoku rules allow: the fewest lines there can be."""
    spans, start = [], 0
    while start < len(tokens):
        end = start + 1
        while end < len(tokens) and measure("".join(tokens[start : end + 1])) <= measure.width:
            end += 1
        if end < len(tokens):  # step back to a legal break, if the line has one
            end = next((i for i in range(end, start, -1) if _can_break(tokens, i)), end)
        spans.append((start, end))
        start = end
    return spans


def _even_spans(
    tokens: Sequence[str], measure: _Measure, max_lines: int, between_words: bool
) -> list[Span] | None:
    """The fewest lines (up to max_lines) that hold tokens, broken evenly.

    A small Knuth-Plass: of the breaks the kinsoku rules allow (only those
    between words if between_words), the set with the least total squared
    slack per line, plus HARD_BREAK_COST for a break inside a word. Even lines
    keep a title from ending on a lonely word. None if nothing fits.
    """
    if len(_greedy_spans(tokens, measure)) > max_lines:
        return None  # filling every line as full as can be is not enough: skip the search
    n = len(tokens)
    soft = _soft_breaks(tokens)
    ends = [i for i in range(1, n) if _can_break(tokens, i)]
    if between_words:
        ends = [i for i in ends if i in soft]
    # layers[k][end] = (least cost, start of the last line) of k + 1 lines ending at end
    layers: list[dict[int, tuple[float, int]]] = []
    previous = {0: (0.0, 0)}
    while previous and n not in previous and len(layers) < max_lines:
        previous = _next_layer(tokens, measure, [*ends, n], previous, soft)
        layers.append(previous)
    if n not in previous:
        return None
    spans, end = [], n
    for layer in reversed(layers):
        start = layer[end][1]
        spans.append((start, end))
        end = start
    return spans[::-1]


def _next_layer(
    tokens: Sequence[str],
    measure: _Measure,
    ends: Sequence[int],
    previous: dict[int, tuple[float, int]],
    soft: frozenset[int],
) -> dict[int, tuple[float, int]]:
    """The cheapest way to end one more line at each end, after a line ending in previous."""
    layer: dict[int, tuple[float, int]] = {}
    starts = sorted(previous, reverse=True)  # nearest first: lines only grow wider
    for end in ends:
        for start in (s for s in starts if s < end):
            width = measure("".join(tokens[start:end]))
            if width > measure.width:
                break
            total = previous[start][0] + _line_cost(len(tokens), end, width, measure.width, soft)
            if total < layer.get(end, (math.inf, 0))[0]:
                layer[end] = (total, start)
    return layer


def _line_cost(n: int, end: int, width: float, room: float, soft: frozenset[int]) -> float:
    slack = (room - width) / room * 10
    inside_word = end < n and end not in soft
    return slack * slack + (HARD_BREAK_COST if inside_word else 0.0)


def _cut(tokens: Sequence[str], measure: _Measure, max_lines: int) -> list[str]:
    """The first max_lines lines, the last one cut short with an ellipsis."""
    spans = _greedy_spans(tokens, measure)
    if len(spans) <= max_lines:  # it fits, only with a break kinsoku forbids
        return _lines(tokens, spans)
    spans = spans[:max_lines]
    start, end = spans[-1][0], len(tokens)
    while end > start + 1 and measure(_with_ellipsis(tokens[start:end])) > measure.width:
        end -= 1
    return [*_lines(tokens, spans[:-1]), _with_ellipsis(tokens[start:end])]


def _with_ellipsis(tokens: Sequence[str]) -> str:
    """The text cut after tokens, without a dangling comma, bracket or space."""
    text = "".join(tokens).rstrip()
    while len(text) > 1 and (text[-1] in SOFT_BREAK_AFTER or text[-1] in NO_LINE_END):
        text = text[:-1].rstrip()
    return text + ELLIPSIS


# ------------------------------------------------------------------------ the font


def font_path() -> Path:
    """IPAex Gothic, from yomiage's own package data."""
    if not FONT_FILE.is_file():
        raise YomiageError(
            f"cannot draw a cover: the Japanese font {FONT_FILE} is missing (reinstall yomiage)"
        )
    return FONT_FILE


@functools.lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: the same glyph positions whether or not libraqm is installed
    return ImageFont.truetype(str(font_path()), size, layout_engine=ImageFont.Layout.BASIC)
