"""Short synthetic music for the demo shows: numpy signals, encoded to MP3 with PyAV.

Each clip is a few bars in one style (a beat, a bass line, chords), 15-30 seconds long, mono,
44.1 kHz, about 64 kbit/s. Everything is drawn from a seeded generator, and LAME encodes the same
samples to the same bytes, so a clip is the same on every run.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import av
import numpy as np
from numpy.typing import NDArray

RATE = 44_100
BIT_RATE = 64_000
FRAME = 1152  # samples per MP3 frame

Signal = NDArray[np.float64]

# Genres whose clips borrow another style's sound (``style_for``); the rest default to house.
_STYLE_OF_GENRE = {
    "Deep House": "house",
    "Disco": "funk",
    "Soul": "funk",
    "Afrobeat": "funk",
    "Minimal": "techno",
    "Trance": "techno",
    "Electronica": "techno",
    "Downtempo": "ambient",
    "Balearic": "ambient",
    "Classical": "ambient",
    "Jungle": "drum and bass",
    "Breaks": "drum and bass",
    "Garage": "hip hop",
    "Dubstep": "dub",
    "Reggae": "dub",
}


@dataclass(frozen=True)
class _Shape:
    """A style's tempo range, 16-step drum patterns and a progression of (root, minor) chords,
    each root in semitones above the clip's key."""

    bpm: tuple[int, int]
    kick: str
    snare: str
    hat: str
    chords: tuple[tuple[int, bool], ...]


_FOUR = "x...x...x...x..."
_BACKBEAT = "....x.......x..."
_EIGHTHS = "x.x.x.x.x.x.x.x."
_NONE = "................"
_SHAPES = {
    "house": _Shape(
        (120, 126),
        _FOUR,
        _BACKBEAT,
        "..x...x...x...x.",
        ((0, True), (5, True), (3, False), (7, True)),
    ),
    "techno": _Shape(
        (128, 134), _FOUR, _NONE, "..x.xx..x.x.xx.x", ((0, True), (0, True), (1, False), (0, True))
    ),
    "funk": _Shape(
        (100, 112),
        "x.....x...x.....",
        "....x..x....x...",
        "x.xxx.xxx.xxx.xx",
        ((0, False), (5, False), (0, False), (7, False)),
    ),
    "ambient": _Shape(
        (70, 80), _NONE, _NONE, _NONE, ((0, False), (9, True), (5, False), (7, False))
    ),
    "drum and bass": _Shape(
        (170, 176),
        "x.........x.....",
        _BACKBEAT,
        _EIGHTHS,
        ((0, True), (8, False), (3, False), (10, False)),
    ),
    "hip hop": _Shape(
        (86, 94),
        "x......x..x.....",
        _BACKBEAT,
        _EIGHTHS,
        ((0, True), (3, False), (8, False), (7, True)),
    ),
    "jazz": _Shape(
        (92, 104),
        "x.........x.....",
        _NONE,
        "x..x.xx..x.xx..x",
        ((2, True), (7, False), (0, False), (9, True)),
    ),
    "dub": _Shape(
        (70, 76),
        "x.......x.......",
        "........x.......",
        "..x...x...x...x.",
        ((0, True), (5, True), (0, True), (7, True)),
    ),
}
STYLES = tuple(_SHAPES)


@dataclass(frozen=True)
class Clip:
    """One encoded clip and its decoded length in whole seconds."""

    style: str
    data: bytes
    seconds: int


def style_for(genre: str) -> str:
    """The clip style that suits a genre tag (a style's own name maps to itself)."""
    if genre.lower() in STYLES:
        return genre.lower()
    return _STYLE_OF_GENRE.get(genre, "house")


def _midi_hz(note: float) -> float:
    """The frequency of a MIDI note number (69 is A4, 440 Hz)."""
    return float(440.0 * 2 ** ((note - 69) / 12))


def _time(seconds: float) -> Signal:
    """Sample times, in seconds, for ``seconds`` of audio."""
    return np.arange(int(seconds * RATE)) / RATE


def _kick(rng: np.random.Generator) -> Signal:
    """A sine whose pitch drops from ~120 Hz to ~45 Hz, with a short decay."""
    t = _time(0.35)
    freq = 45 + 80 * np.exp(-t * 30)
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    return np.sin(phase) * np.exp(-t * rng.uniform(7, 10))


def _snare(rng: np.random.Generator) -> Signal:
    """A noise burst over a short 185 Hz body."""
    t = _time(0.22)
    noise = rng.uniform(-1, 1, t.size) * np.exp(-t * 18)
    body = np.sin(2 * np.pi * 185 * t) * np.exp(-t * 25)
    return 0.5 * noise + 0.4 * body


def _hat(rng: np.random.Generator) -> Signal:
    """A very short burst of bright noise."""
    t = _time(0.06)
    # The difference of white noise tilts it towards the highs, like a closed hi-hat.
    noise = np.diff(rng.uniform(-1, 1, t.size + 1))
    return 0.25 * noise * np.exp(-t * 70)


_TABLE = 4096  # samples in one period of a wavetable


@lru_cache(maxsize=8)
def _wavetable(bright: float) -> Signal:
    """One period of a few harmonics: ``bright`` near 0 is a sine, near 1 a soft saw."""
    phase = 2 * np.pi * np.arange(_TABLE) / _TABLE
    table = sum((bright ** (k - 1) / k) * np.sin(k * phase) for k in range(1, 6))
    return np.asarray(table, dtype=np.float64) / (1 + bright)


@lru_cache(maxsize=32)  # one clip's notes: the clips are made one after another
def _voice(freq: float, seconds: float, bright: float) -> Signal:
    """``seconds`` of a note read from the wavetable (a lookup costs far less than five sines).

    Cached because progressions repeat every few bars; callers never change the array.
    """
    steps = (np.arange(int(seconds * RATE)) * (freq * _TABLE / RATE)).astype(np.int64)
    return _wavetable(bright)[steps % _TABLE]


def _add(buf: Signal, sound: Signal, at: int) -> None:
    """Mix ``sound`` into ``buf`` from sample ``at``, cutting what runs past the end."""
    end = min(buf.size, at + sound.size)
    if at < end:
        buf[at:end] += sound[: end - at]


def _drums(buf: Signal, style: str, step: float, rng: np.random.Generator) -> None:
    """Mix the style's 16-step kick, snare and hat patterns into ``buf``."""
    shape = _SHAPES[style]
    kick, snare, hat = _kick(rng), _snare(rng), _hat(rng)
    swing = step * (0.18 if style in ("funk", "hip hop", "jazz") else 0.0)
    steps = int(buf.size / RATE / step)
    for i in range(steps):
        at = int((i * step + (swing if i % 2 else 0.0)) * RATE)
        pattern = i % 16
        if shape.kick[pattern] == "x":
            _add(buf, 0.9 * kick, at)
        if shape.snare[pattern] == "x":
            _add(buf, 0.6 * snare, at)
        if shape.hat[pattern] == "x":
            _add(buf, hat * rng.uniform(0.6, 1.0), at)


def _harmony(buf: Signal, style: str, key: int, bar: float, rng: np.random.Generator) -> None:
    """Chords held for a bar each, and a bass note on the chord's root every beat."""
    chords = _SHAPES[style].chords
    bright = 0.15 if style == "ambient" else 0.45
    bars = int(np.ceil(buf.size / RATE / bar))
    for b in range(bars):
        root, minor = chords[b % len(chords)]
        third, seventh = (3, 10) if minor else (4, 11)
        at = int(b * bar * RATE)
        pad = sum(
            _voice(_midi_hz(key + 12 + root + i), bar, bright) for i in (0, third, 7, seventh)
        )
        attack = np.minimum(1.0, _time(bar) / (bar * (0.4 if style == "ambient" else 0.05)))
        _add(buf, 0.07 * pad * attack * np.exp(-_time(bar) * 0.8), at)
        for beat in range(4):
            if style == "ambient" and beat:
                continue  # ambient holds one long low note instead of a pulse
            length = bar if style == "ambient" else bar / 4 * 0.9
            note = _voice(_midi_hz(key + root), length, 0.3) * np.exp(-_time(length) * 3)
            _add(buf, 0.35 * note * rng.uniform(0.8, 1.0), at + int(beat * bar / 4 * RATE))


def synthesize(style: str, seconds: float, seed: int) -> Signal:
    """``seconds`` of music in ``style``, peak-normalised, with short fades at both ends."""
    rng = np.random.default_rng(seed)
    low, high = _SHAPES[style].bpm
    beat = 60.0 / rng.uniform(low, high)
    buf = np.zeros(int(seconds * RATE))
    key = int(rng.integers(33, 41))  # the bass's root: A1 to E2
    _harmony(buf, style, key, beat * 4, rng)
    _drums(buf, style, beat / 4, rng)
    if style in ("ambient", "dub"):
        buf += 0.01 * rng.standard_normal(buf.size)  # a little tape hiss
    buf /= max(1e-9, float(np.abs(buf).max())) / 0.8
    fade = int(1.5 * RATE)
    ramp = np.linspace(0.0, 1.0, fade)
    buf[:fade] *= ramp
    buf[-fade:] *= ramp[::-1]
    return buf


def encode_mp3(samples: Signal) -> bytes:
    """Mono float samples in [-1, 1] as MP3 bytes (LAME, constant bit rate)."""
    pcm = np.clip(samples, -1.0, 1.0).astype(np.float32)
    pcm = np.pad(pcm, (0, -pcm.size % FRAME))  # whole frames only
    out = io.BytesIO()
    with av.open(out, "w", format="mp3") as container:
        # LAME's quality level 7 encodes twice as fast as its default, and sounds the same on
        # these simple signals.
        stream = container.add_stream(
            "libmp3lame", rate=RATE, layout="mono", options={"compression_level": "7"}
        )
        stream.bit_rate = BIT_RATE
        for start in range(0, pcm.size, FRAME):
            frame = av.AudioFrame.from_ndarray(
                pcm[None, start : start + FRAME], format="fltp", layout="mono"
            )
            frame.sample_rate = RATE
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def decoded_seconds(data: bytes) -> float:
    """The length of encoded audio as a decoder sees it: decoded samples over the rate."""
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.audio[0]
        samples = sum(int(frame.samples) for frame in container.decode(stream))
        return samples / (stream.rate or RATE)


def make_clip(style: str, seconds: float, seed: int) -> Clip:
    """One clip: synthesised, encoded, and measured by decoding it again."""
    data = encode_mp3(synthesize(style, seconds, seed))
    return Clip(style=style, data=data, seconds=round(decoded_seconds(data)))


# The pool of clips, in order: (style, nominal seconds). The common genres get more than one.
POOL: tuple[tuple[str, int], ...] = tuple(
    (style, 15 + (i * 7) % 16)  # lengths spread over 15-30 s
    for i, style in enumerate(
        (
            "house",
            "techno",
            "funk",
            "ambient",
            "drum and bass",
            "hip hop",
            "jazz",
            "dub",
            "house",
            "techno",
            "funk",
            "house",
        )
    )
)


def make_pool(seed: int) -> list[Clip]:
    """The clips of ``POOL``, encoded; the same bytes on every run."""
    return [make_clip(style, seconds, seed + i) for i, (style, seconds) in enumerate(POOL)]
