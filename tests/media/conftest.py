"""Tiny real media files, made with PyAV when the session starts (no binary files committed).

``samples`` maps a name to a file: ~3 s of tone and noise in every accepted format, a few
variations (mono, quiet, loud, silent), and junk that must be refused. The files have no
extension, as an upload is stored: the formats are recognised by their content.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

SECONDS = 3.0


@dataclass(frozen=True)
class Sample:
    """How to make one audio sample: a container, a codec and the signal's shape."""

    container: str
    codec: str
    rate: int = 44_100
    layout: str = "stereo"
    amplitude: float = 0.5  # peak of the tone, 0..1
    noise: float = 0.05  # peak of the white noise on top
    seconds: float = SECONDS
    options: tuple[tuple[str, str], ...] = ()
    bit_rate: int = 0  # 0: the codec's default


# The accepted formats (what mixcast.media.audio.ACCEPTED_FORMATS lists) and some variations.
AUDIO_SAMPLES: dict[str, Sample] = {
    "mp3": Sample("mp3", "libmp3lame"),
    "m4a": Sample("mp4", "aac"),
    "wav": Sample("wav", "pcm_s16le"),
    "flac": Sample("flac", "flac"),
    "ogg": Sample("ogg", "vorbis", options=(("strict", "experimental"),)),
    "opus": Sample("ogg", "libopus", rate=48_000),
    "aiff": Sample("aiff", "pcm_s16be"),
    "wav-mono-22k": Sample("wav", "pcm_s16le", rate=22_050, layout="mono"),
    "flac-long": Sample("flac", "flac", seconds=20.0),
    "wav-quiet": Sample("wav", "pcm_s16le", amplitude=0.1, noise=0.0),
    "wav-loud": Sample("wav", "pcm_s16le", amplitude=0.9, noise=0.0),
    "wav-silent": Sample("wav", "pcm_s16le", amplitude=0.0, noise=0.0),
    # Audio, but not in a format Mixcloud takes: Windows Media Audio.
    "wma": Sample("asf", "wmav2", bit_rate=128_000),
    # An accepted container holding a codec we don't take.
    "mp3-in-mp4": Sample("mp4", "libmp3lame"),
}
ACCEPTED = ["mp3", "m4a", "wav", "flac", "ogg", "opus", "aiff"]
JUNK = [
    "text",
    "png",
    "random",
    "empty",
    "truncated-mp3",
    "header-only-wav",
    "video-only",
    "wma",
    "mp3-in-mp4",
]


def signal(sample: Sample) -> np.ndarray:
    """A 440 Hz tone (a fifth above on the right channel) plus white noise, planar float32."""
    n = round(sample.seconds * sample.rate)
    t = np.arange(n) / sample.rate
    channels = 1 if sample.layout == "mono" else 2
    rng = np.random.default_rng(7)
    rows = [
        sample.amplitude * np.sin(2 * np.pi * 440 * (1.5**ch) * t)
        + sample.noise * rng.uniform(-1, 1, n)
        for ch in range(channels)
    ]
    return np.clip(np.array(rows), -1, 1).astype(np.float32)


def frames(sample: Sample) -> Iterator[av.AudioFrame]:
    """The sample's signal in 1024-sample frames."""
    data = signal(sample)
    for start in range(0, data.shape[1], 1024):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(data[:, start : start + 1024]),
            format="fltp",
            layout=sample.layout,
        )
        frame.sample_rate = sample.rate
        frame.pts = start
        frame.time_base = Fraction(1, sample.rate)
        yield frame


def write_audio(path: Path, sample: Sample) -> None:
    """Encode ``sample`` to ``path`` with PyAV."""
    with av.open(str(path), "w", format=sample.container) as out:
        stream = out.add_stream(sample.codec, rate=sample.rate, layout=sample.layout)
        stream.codec_context.options = dict(sample.options)
        if sample.bit_rate:
            stream.bit_rate = sample.bit_rate
        for frame in frames(sample):
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def write_video(path: Path, with_audio: bool = False) -> None:
    """An MP4 with 3 s of MPEG-4 video (64x48, 10 frames a second), and with ``with_audio``
    an AAC stream too, as in a music video or an M4A with a picture."""
    sample = AUDIO_SAMPLES["m4a"]
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        if with_audio:
            audio = out.add_stream(sample.codec, rate=sample.rate, layout=sample.layout)
            for frame in frames(sample):
                out.mux(audio.encode(frame))
            out.mux(audio.encode(None))
        for i in range(30):
            pixels = np.full((48, 64, 3), i * 8, dtype=np.uint8)
            picture = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            picture.pts = i
            out.mux(video.encode(picture))
        out.mux(video.encode(None))


def write_png(path: Path) -> None:
    """A real 8x8 PNG, through PyAV's PNG encoder (a picture sent where audio belongs)."""
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = 8, 8, "rgb24"
    frame = av.VideoFrame.from_ndarray(np.zeros((8, 8, 3), dtype=np.uint8), format="rgb24")
    path.write_bytes(b"".join(bytes(p) for p in [*codec.encode(frame), *codec.encode(None)]))


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every sample by name; made once per test session (about a second)."""
    folder = tmp_path_factory.mktemp("audio-samples")
    files: dict[str, Path] = {}
    for name, sample in AUDIO_SAMPLES.items():
        files[name] = folder / name
        write_audio(files[name], sample)
    files["text"] = folder / "text"
    files["text"].write_text("Side A: a mix of tracks\n" * 200)
    files["png"] = folder / "png"
    write_png(files["png"])
    files["random"] = folder / "random"
    files["random"].write_bytes(np.random.default_rng(1).bytes(200_000))
    files["empty"] = folder / "empty"
    files["empty"].write_bytes(b"")
    # A real MP3's first 4 KB (its header and a few frames), then nothing but noise bytes.
    files["truncated-mp3"] = folder / "truncated-mp3"
    head = files["mp3"].read_bytes()[:4096]
    files["truncated-mp3"].write_bytes(head + np.random.default_rng(2).bytes(100_000))
    # A WAV header that announces no samples at all.
    files["header-only-wav"] = folder / "header-only-wav"
    wav = files["wav"].read_bytes()
    data_at = wav.index(b"data")
    header = bytearray(wav[: data_at + 8])
    header[4:8] = (len(header) - 8).to_bytes(4, "little")
    header[data_at + 4 : data_at + 8] = bytes(4)
    files["header-only-wav"].write_bytes(bytes(header))
    # Two MP3s end to end, the second at another rate, in mono and louder: a spliced mix.
    louder = folder / "louder-32k-mono"
    write_audio(louder, Sample("mp3", "libmp3lame", rate=32_000, layout="mono", amplitude=0.9))
    files["spliced-mp3"] = folder / "spliced-mp3"
    files["spliced-mp3"].write_bytes(files["mp3"].read_bytes() + louder.read_bytes())
    files["video-only"] = folder / "video-only"
    write_video(files["video-only"])
    files["m4a-with-video"] = folder / "m4a-with-video"
    write_video(files["m4a-with-video"], with_audio=True)
    return files
