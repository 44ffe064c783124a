"""Waveform peaks in the audiowaveform / peaks.js JSON data format, version 2.

A player draws a waveform from min/max pairs, one pair per pixel column::

    {"version": 2, "channels": 1, "sample_rate": 44100, "samples_per_pixel": 512,
     "bits": 8, "length": 3, "data": [-12, 14, -40, 38, -7, 9]}

``PeakMeter`` takes the decoded audio frame by frame (mono mixdown, whole frames through
numpy) and keeps the min and max of every ``FINE_SAMPLES_PER_PIXEL`` samples. At the end it
merges groups of those pixels (min of the mins, max of the maxes) into at most ``MAX_PIXELS``:
the result is exactly what a single pass at the coarse resolution would give, without knowing
the length before decoding.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # av is imported by mixcast.media.audio, after it picks the LAME library
    import av

FINE_SAMPLES_PER_PIXEL = 256  # also the smallest samples_per_pixel (very short files)
MAX_PIXELS = 2000  # enough for a full-width player; keeps the JSON ~10 KB
_CHUNK_SAMPLES = 1 << 20  # reduce pending samples about every 24 s of 44.1 kHz audio

# Per packed sample format: numpy's type, and the offset and scale that map it to -1.0..1.0.
_SAMPLES: dict[str, tuple[type[np.generic], float, float]] = {
    "u8": (np.uint8, -128.0, 1 / 128),
    "s16": (np.int16, 0.0, 1 / 32768),
    "s32": (np.int32, 0.0, 1 / 2**31),
    "s64": (np.int64, 0.0, 1 / 2**63),
    "flt": (np.float32, 0.0, 1.0),
    "dbl": (np.float64, 0.0, 1.0),
}

Floats = npt.NDArray[np.float32]


class PeakMeter:
    """Min/max of a mono mixdown per 256 samples, fed one decoded frame at a time."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._pending: list[Floats] = []  # mono samples not yet reduced to pixels
        self._pending_samples = 0
        self._mins: list[Floats] = []
        self._maxs: list[Floats] = []

    def add(self, frame: av.AudioFrame) -> None:
        """Take one frame (any sample format or layout, at ``sample_rate``)."""
        mono = _mono(frame)
        self._pending.append(mono)
        self._pending_samples += mono.size
        if self._pending_samples >= _CHUNK_SAMPLES:
            self._reduce(final=False)

    def _reduce(self, final: bool) -> None:
        """Turn the pending samples into fine pixels; keep the tail that fills no pixel,
        unless ``final`` (the last pixel may cover fewer samples, as in audiowaveform)."""
        if not self._pending:
            return
        samples = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        whole = samples.size - samples.size % FINE_SAMPLES_PER_PIXEL
        if whole:
            pixels = samples[:whole].reshape(-1, FINE_SAMPLES_PER_PIXEL)
            self._mins.append(pixels.min(axis=1))
            self._maxs.append(pixels.max(axis=1))
        tail = samples[whole:]
        if final and tail.size:
            self._mins.append(tail.min(keepdims=True))
            self._maxs.append(tail.max(keepdims=True))
            tail = tail[:0]
        self._pending = [tail] if tail.size else []
        self._pending_samples = tail.size

    def peaks(self) -> dict[str, Any]:
        """The waveform as audiowaveform JSON (version 2, 8 bits, one channel), once every frame
        has been added."""
        self._reduce(final=True)
        mins = np.concatenate(self._mins) if self._mins else np.zeros(0, np.float32)
        maxs = np.concatenate(self._maxs) if self._maxs else np.zeros(0, np.float32)
        group = max(1, -(-mins.size // MAX_PIXELS))  # fine pixels per output pixel
        if group > 1:
            pad = -mins.size % group  # the last pixel takes what is left
            mins = np.pad(mins, (0, pad), constant_values=np.inf).reshape(-1, group).min(axis=1)
            maxs = np.pad(maxs, (0, pad), constant_values=-np.inf).reshape(-1, group).max(axis=1)
        data = np.empty(2 * mins.size, dtype=np.int64)
        data[0::2] = _to_8_bits(mins)
        data[1::2] = _to_8_bits(maxs)
        return {
            "version": 2,
            "channels": 1,
            "sample_rate": self.sample_rate,
            "samples_per_pixel": FINE_SAMPLES_PER_PIXEL * group,
            "bits": 8,
            "length": int(mins.size),
            "data": data.tolist(),
        }


def _mono(frame: av.AudioFrame) -> Floats:
    """The frame's samples averaged over its channels, as float32 in -1.0..1.0: a few numpy
    operations on the frame's buffers (a new array; the frame's memory is not kept)."""
    samples, channels = frame.samples, frame.layout.nb_channels
    dtype, offset, scale = _SAMPLES[frame.format.packed.name]
    mono: Floats
    if frame.format.is_planar:
        planes = frame.planes
        mono = np.frombuffer(memoryview(planes[0]), dtype, samples).astype(np.float32)
        for plane in planes[1:channels]:
            mono += np.frombuffer(memoryview(plane), dtype, samples)
    else:  # interleaved: L R L R ...
        both = np.frombuffer(memoryview(frame.planes[0]), dtype, samples * channels)
        mono = both.reshape(samples, channels).sum(axis=1, dtype=np.float32)
    if channels > 1 or scale != 1.0:
        mono *= np.float32(scale / channels)
    if offset:
        mono += np.float32(offset * scale)
    return mono


def _to_8_bits(values: Floats) -> npt.NDArray[np.int64]:
    """-1.0..1.0 to -128..127, as audiowaveform does (a 16-bit sample shifted right by 8)."""
    return np.clip(np.floor(values * 128), -128, 127).astype(np.int64)


def read_peaks(data: bytes) -> dict[str, Any]:
    """Parse and check a stored waveform (audiowaveform JSON, version 2); raises ValueError if
    it is not one: a stored waveform is ours, so a bad one is a bug, not a user error."""
    peaks = json.loads(data)
    if not isinstance(peaks, dict):
        raise ValueError("waveform JSON is not an object")
    for key in ("version", "channels", "sample_rate", "samples_per_pixel", "bits", "length"):
        value = peaks.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"waveform {key!r} is not a non-negative integer: {value!r}")
    if peaks["version"] != 2 or peaks["bits"] not in (8, 16) or peaks["channels"] < 1:
        raise ValueError("waveform is not version 2 with 8 or 16 bits and 1+ channels")
    values = peaks.get("data")
    if not isinstance(values, list) or len(values) != 2 * peaks["length"] * peaks["channels"]:
        raise ValueError("waveform data is not a list of 2 * length * channels values")
    low, high = -(2 ** (peaks["bits"] - 1)), 2 ** (peaks["bits"] - 1) - 1
    if not all(isinstance(v, int) and low <= v <= high for v in values):
        raise ValueError(f"waveform data has values outside {low}..{high}")
    return peaks
