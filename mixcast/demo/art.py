"""Generated pictures for the demo: show artwork, profile pictures and profile covers.

Simple shapes (gradients, rings, stripes, suns, soft blobs) in colours drawn from a seed, so a
seed always gives the same picture. Each function returns PNG bytes for ``make_renditions``.
Sources are only as large as the biggest rendition needs (or a little less: renditions are
cut with LANCZOS, which keeps these soft shapes smooth when it upscales).
"""

from __future__ import annotations

import colorsys
import io
import math
import random
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

RGB = tuple[int, int, int]

SHOW_SIZE = 512  # renditions go up to 1024x1024; these soft shapes stay smooth upscaled
PROFILE_SIZE = 512  # renditions go up to 640x640
COVER_SIZE = (1670, 240)  # the largest cover rendition, and cheap at this size


def _color(h: float, s: float, v: float) -> RGB:
    """An RGB colour from HSV, saturation and value clamped to [0, 1]."""
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(1.0, max(0.0, s)), min(1.0, max(0.0, v)))
    return (round(r * 255), round(g * 255), round(b * 255))


def palette(rng: random.Random) -> list[RGB]:
    """Five colours that go together: a hue, its neighbours and (sometimes) its complement."""
    hue = rng.random()
    spread = rng.choice((0.06, 0.1, 0.5, 0.33))
    sat = rng.uniform(0.45, 0.8)
    return [
        _color(hue, sat, rng.uniform(0.25, 0.4)),  # dark: backgrounds
        _color(hue + spread / 2, sat * 0.9, rng.uniform(0.55, 0.75)),
        _color(hue + spread, sat, rng.uniform(0.8, 0.98)),  # bright: accents
        _color(hue - spread / 2, sat * 0.6, rng.uniform(0.85, 1.0)),
        _color(hue + 0.5, sat * 0.3, 0.96),  # near-white, faintly tinted
    ]


def _gradient(size: tuple[int, int], a: RGB, b: RGB, angle: float) -> Image.Image:
    """A linear gradient from ``a`` to ``b`` across the image at ``angle`` radians."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    t = x * math.cos(angle) + y * math.sin(angle)
    t = (t - t.min()) / max(1.0, float(t.max() - t.min()))
    start, end = np.array(a, np.float32), np.array(b, np.float32)
    pixels = start + (end - start) * t[..., None]
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _rings(rng: random.Random, size: int, colors: list[RGB]) -> Image.Image:
    """A record: concentric rings on a gradient, off-centre, with a bright label."""
    image = _gradient((size, size), colors[0], colors[1], rng.uniform(0, math.pi))
    draw = ImageDraw.Draw(image)
    cx, cy = size * rng.uniform(0.35, 0.65), size * rng.uniform(0.35, 0.65)
    radius = size * rng.uniform(0.38, 0.55)
    ring = 0
    while radius > size * 0.08:
        fill = colors[2] if ring % 2 == 0 else colors[0]
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=fill)
        radius -= size * rng.uniform(0.02, 0.06)
        ring += 1
    label = size * 0.07
    draw.ellipse((cx - label, cy - label, cx + label, cy + label), fill=colors[3])
    return image


def _sunset(rng: random.Random, size: int, colors: list[RGB]) -> Image.Image:
    """A sun sinking behind horizontal bars, under a graded sky."""
    image = _gradient((size, size), colors[0], colors[1], math.pi / 2)
    sun = _gradient((size, size), colors[2], colors[3], math.pi / 2)
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    cx, cy, r = size / 2, size * rng.uniform(0.45, 0.6), size * rng.uniform(0.25, 0.34)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    y, gap = cy, size * 0.012
    while y < cy + r:  # the bars widen towards the horizon
        draw.rectangle((0, y, size, y + gap), fill=0)
        y += gap * 3
        gap *= 1.35
    image.paste(sun, (0, 0), mask)
    return image


def _bauhaus(rng: random.Random, size: int, colors: list[RGB]) -> Image.Image:
    """A grid of circles, half circles and quarter circles on a pale ground."""
    image = Image.new("RGB", (size, size), colors[4])
    draw = ImageDraw.Draw(image)
    cells = rng.choice((2, 3, 4))
    cell = size / cells
    for row in range(cells):
        for col in range(cells):
            x, y = col * cell, row * cell
            fill = rng.choice(colors[:4])
            shape = rng.randrange(4)
            if shape == 0:
                draw.ellipse((x + 4, y + 4, x + cell - 4, y + cell - 4), fill=fill)
            elif shape == 1:
                start = rng.choice((0, 90, 180, 270))
                draw.pieslice((x, y, x + cell, y + cell), start, start + 180, fill=fill)
            elif shape == 2:
                cx, cy = x + rng.choice((0, cell)), y + rng.choice((0, cell))
                draw.ellipse((cx - cell, cy - cell, cx + cell, cy + cell), fill=fill)
            else:
                inset = cell / 4
                draw.rectangle(
                    (x + inset, y + inset, x + cell - inset, y + cell - inset), fill=fill
                )
    return image


def _stripes(rng: random.Random, size: int, colors: list[RGB]) -> Image.Image:
    """Diagonal bands of the palette, shaded by a gradient."""
    width = rng.randrange(size // 16, size // 5)
    y, x = np.mgrid[0:size, 0:size]
    band = ((x + y * rng.choice((1, -1))) // width) % 4
    pixels = np.array(colors[:4], np.float32)[band]
    shade = np.linspace(1.0, rng.uniform(0.45, 0.75), size, dtype=np.float32)
    pixels *= shade[None, :, None] if rng.random() < 0.5 else shade[:, None, None]
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _blobs(rng: random.Random, size: int, colors: list[RGB]) -> Image.Image:
    """Soft overlapping colour fields: drawn small and blurred, then scaled up (cheap)."""
    small = 96
    image = Image.new("RGB", (small, small), colors[0])
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randrange(4, 8)):
        r = rng.uniform(small * 0.15, small * 0.45)
        cx, cy = rng.uniform(0, small), rng.uniform(0, small)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=rng.choice(colors[1:4]))
    image = image.filter(ImageFilter.GaussianBlur(small / 9))
    return image.resize((size, size), Image.Resampling.BICUBIC)


def _waves(rng: random.Random, size: tuple[int, int], colors: list[RGB]) -> Image.Image:
    """Layered sine waves over a gradient, each layer a filled band."""
    w, h = size
    image = _gradient(size, colors[0], colors[1], rng.uniform(0, math.pi / 4))
    draw = ImageDraw.Draw(image)
    layers = rng.randrange(3, 6)
    for i in range(layers):
        base = h * (0.35 + 0.55 * i / layers)
        amp = h * rng.uniform(0.04, 0.14)
        freq = rng.uniform(1.0, 3.5) * 2 * math.pi / w
        phase = rng.uniform(0, 2 * math.pi)
        points = [(x, base + amp * math.sin(freq * x + phase)) for x in range(0, w + 8, 8)]
        draw.polygon([*points, (w, h), (0, h)], fill=colors[(i + 2) % 5])
    return image


_SQUARE_STYLES: tuple[Callable[[random.Random, int, list[RGB]], Image.Image], ...] = (
    _rings,
    _sunset,
    _bauhaus,
    _stripes,
    _blobs,
    lambda rng, size, colors: _waves(rng, (size, size), colors),
)


def _png(image: Image.Image) -> bytes:
    """PNG bytes of ``image``."""
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)  # fast: the renditions are what gets kept
    return out.getvalue()


def _smooth(draw: Callable[[int], Image.Image]) -> Image.Image:
    """``draw(2)`` (drawn at twice the size) halved: ImageDraw does not antialias, and the
    renditions would magnify the jagged edges."""
    return draw(2).reduce(2)


def show_artwork(seed: int, size: int = SHOW_SIZE) -> bytes:
    """Square artwork for a show, in one of several styles."""
    rng = random.Random(seed)
    colors = palette(rng)
    style = rng.choice(_SQUARE_STYLES)
    return _png(_smooth(lambda k: style(rng, size * k, colors)))


def _initials(image: Image.Image, text: str, color: RGB) -> None:
    """Centre ``text`` on the image (skipped where Pillow was built without FreeType)."""
    if not features.check("freetype2") or not text:
        return
    font = ImageFont.load_default(size=image.width * 0.4)
    draw = ImageDraw.Draw(image)
    draw.text((image.width / 2, image.height / 2), text, fill=color, font=font, anchor="mm")


def profile_picture(seed: int, initials: str = "", size: int = PROFILE_SIZE) -> bytes:
    """A profile picture: initials on a gradient, or an abstract square when none are given."""
    rng = random.Random(seed)
    colors = palette(rng)
    if not initials:
        style = rng.choice(_SQUARE_STYLES)
        return _png(_smooth(lambda k: style(rng, size * k, colors)))
    image = _gradient((size, size), colors[0], colors[2], rng.uniform(0, math.pi))
    _initials(image, initials, colors[4])  # FreeType antialiases text itself
    return _png(image)


def _equaliser(rng: random.Random, size: tuple[int, int], colors: list[RGB]) -> Image.Image:
    """Bars along the bottom edge, tallest in the middle, over a gradient."""
    w, h = size
    image = _gradient(size, colors[0], colors[1], 0.0)
    draw = ImageDraw.Draw(image)
    bars = rng.randrange(40, 90)
    step = w / bars
    for i in range(bars):
        top = h * (1 - rng.uniform(0.1, 0.8) * math.sin(math.pi * i / bars))
        draw.rectangle(
            (w - (i + 1) * step, top, w - i * step - step / 8, h), fill=colors[2 + i % 2]
        )
    return image


def profile_cover(seed: int) -> bytes:
    """A wide banner: waves, or an equaliser, over a gradient."""
    rng = random.Random(seed)
    colors = palette(rng)
    style = _waves if rng.random() < 0.6 else _equaliser
    w, h = COVER_SIZE
    return _png(_smooth(lambda k: style(rng, (w * k, h * k), colors)))
