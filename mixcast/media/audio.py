"""Audio uploads: check what was sent (``probe``) and make what is served (``make_rendition``).

Pure functions on files, with PyAV (FFmpeg's libraries) and numpy; storing the results is the
caller's job.

The streaming rendition is MP3, 128 kbit/s CBR, 44.1 kHz, stereo (mono sources are encoded as
stereo too: one output format for every player, and LAME's joint stereo spends almost nothing
on two equal channels). MP3 because every browser plays it, and because any byte range of a
CBR MP3 is playable on its own (the decoder syncs on the next frame header, and byte offset /
16,000 is the time), which makes HTTP Range streaming and seeking a matter of serving bytes:
no index, no transmuxing. The file starts with a Xing/LAME "Info" header (frame count, encoder
delay and padding) so browsers know the exact duration and seek well.

One decode pass over the upload feeds both the MP3 encoder and the waveform
(``mixcast.media.waveform``).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import math
import os
import queue
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any


def _load_system_lame() -> str:
    """Make libavcodec use the system's LAME, if there is one; say which LAME is in use.

    PyAV's wheels bundle a LAME built without optimisation: encoding is 3-4x slower than with
    Debian's libmp3lame0 (which the ffmpeg package brings), and it is most of the pipeline's
    time. Loading the system library first, with RTLD_GLOBAL, puts its ``lame_*`` symbols
    ahead of the bundled copy's when libavcodec is loaded (ELF lookup: global scope first),
    so libavcodec binds to it. It only works before anything imports ``av``; the ABI is
    LAME's stable one, and versions older than 3.99 are left alone.
    ``MIXCAST_LAME=bundled`` turns this off.
    """
    if os.environ.get("MIXCAST_LAME", "system") != "system":
        return "bundled (MIXCAST_LAME)"
    if "av" in sys.modules:
        return "bundled (av was imported before mixcast.media.audio)"
    try:
        lame = ctypes.CDLL("libmp3lame.so.0")  # local first: check the version
        lame.get_lame_version.restype = ctypes.c_char_p
        version = lame.get_lame_version().decode()
        if tuple(int(part) for part in version.split(".")[:2]) < (3, 99):
            return f"bundled (system LAME {version} is too old)"
        ctypes.CDLL("libmp3lame.so.0", mode=ctypes.RTLD_GLOBAL)
    except (OSError, AttributeError, ValueError):
        return "bundled (no system libmp3lame.so.0)"
    return f"system libmp3lame.so.0 {version}"


LAME = _load_system_lame()  # before `import av`, for the reason above

import av  # noqa: E402
import av.container  # noqa: E402

from mixcast.errors import AppError  # noqa: E402
from mixcast.media.waveform import PeakMeter, read_peaks  # noqa: E402

__all__ = [
    "ACCEPTED_DESCRIPTION",
    "ACCEPTED_FORMATS",
    "LAME",
    "AcceptedFormat",
    "AudioInfo",
    "InvalidAudio",
    "Rendition",
    "make_rendition",
    "probe",
    "read_peaks",
]


class InvalidAudio(AppError):
    """The upload is not audio we accept, or is damaged; the message says which."""

    type = "InvalidAudioException"
    http_status = 400


@dataclass(frozen=True)
class AcceptedFormat:
    """One kind of file we take: its container (FFmpeg's demuxer name) and the codecs in it."""

    name: str  # what a person calls it
    container: str
    codecs: frozenset[str]  # FFmpeg's codec names (AVCodecDescriptor), not decoder names


_PCM_LE = ("pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le")
_PCM_BE = ("pcm_s8", "pcm_s16be", "pcm_s24be", "pcm_s32be", "pcm_f32be", "pcm_f64be")

# What Mixcloud accepts. M4A may hold AAC or Apple Lossless; AIFF-C may hold little-endian
# PCM ("sowt"). A cover picture in an MP3 or M4A is a video stream, and is ignored.
ACCEPTED_FORMATS: tuple[AcceptedFormat, ...] = (
    AcceptedFormat("MP3", "mp3", frozenset({"mp3"})),
    AcceptedFormat("M4A (AAC)", "mov,mp4,m4a,3gp,3g2,mj2", frozenset({"aac", "alac"})),
    AcceptedFormat("WAV", "wav", frozenset(_PCM_LE)),
    AcceptedFormat("FLAC", "flac", frozenset({"flac"})),
    AcceptedFormat("OGG (Vorbis or Opus)", "ogg", frozenset({"vorbis", "opus", "flac"})),
    AcceptedFormat("AIFF", "aiff", frozenset((*_PCM_BE, "pcm_s16le"))),
)
ACCEPTED_DESCRIPTION = ", ".join(f.name for f in ACCEPTED_FORMATS[:-1]) + (
    f" or {ACCEPTED_FORMATS[-1].name}"
)  # "MP3, M4A (AAC), WAV, FLAC, OGG (Vorbis or Opus) or AIFF"

# Only these demuxers may even read the file: FFmpeg's others include playlists (HLS,
# concat) that would open other files or URLs named inside an upload.
_OPEN_OPTIONS = {
    "format_whitelist": ",".join(f.container for f in ACCEPTED_FORMATS),
    "protocol_whitelist": "file",
}

NOT_AUDIO = f"This file is not audio we can read. Upload {ACCEPTED_DESCRIPTION}."
NOT_ACCEPTED = f"This file is not in a format we accept. Upload {ACCEPTED_DESCRIPTION}."
NO_AUDIO_STREAM = f"This file has no audio in it. Upload {ACCEPTED_DESCRIPTION}."
EMPTY = "This file is empty."
NO_DURATION = "This audio has no length: the file may be damaged."
DAMAGED = "This audio could not be decoded: the file is damaged or is not what it claims to be."

PROBE_SECONDS = 2.0  # how much audio probe() decodes: enough to meet junk behind a header
MAX_BAD_PACKETS = 0.01  # share of packets that may fail to decode (FFmpeg skips them too)

STREAM_RATE = 44_100
STREAM_LAYOUT = "stereo"
STREAM_BIT_RATE = 128_000


@dataclass(frozen=True)
class AudioInfo:
    """What ``probe`` finds in an upload."""

    duration: float  # seconds, as the container states it (an estimate for some MP3s)
    seconds: int  # whole seconds (rounded): the API's audio_length
    container: str  # FFmpeg's demuxer name, e.g. "mp3", "mov,mp4,m4a,3gp,3g2,mj2", "wav"
    codec: str  # e.g. "mp3", "aac", "pcm_s16le", "flac", "vorbis", "opus"
    sample_rate: int  # as decoded
    channels: int  # as decoded
    bit_rate: int | None  # bits per second, if known


@dataclass(frozen=True)
class Rendition:
    """What ``make_rendition`` made besides the MP3 file."""

    duration: float  # seconds, exact: counted from the decoded samples
    seconds: int  # whole seconds (rounded)
    peaks: dict[str, Any]  # the waveform, audiowaveform JSON (mixcast.media.waveform)


def probe(path: Path) -> AudioInfo:
    """Check that ``path`` is audio in an accepted format, really decoding its first
    ``PROBE_SECONDS``, and say what it is. Fast: it reads the header and a few frames
    (and, for some formats, a little at the end), whatever the file's size.

    Raises ``InvalidAudio`` with a message for the uploader; ``OSError`` if the file is gone.
    """
    with _open(path) as container:
        stream = _audio_stream(container)
        duration = _stated_duration(container, stream)
        decoder = _Decoder(container, stream)
        first: av.AudioFrame | None = None
        decoded = 0.0
        for frame in decoder.frames():
            if first is None:
                first = frame
            decoded += frame.samples / frame.sample_rate
            if decoded >= PROBE_SECONDS:
                break
        decoder.check()
        if first is None:
            raise InvalidAudio(DAMAGED)
        bit_rate = stream.codec_context.bit_rate or container.bit_rate or None
        return AudioInfo(
            duration=duration,
            seconds=round(duration),
            container=container.format.name,
            codec=stream.codec_context.codec.canonical_name,
            sample_rate=first.sample_rate,
            channels=first.layout.nb_channels,
            bit_rate=bit_rate,
        )


def make_rendition(src: Path, stream_dst: Path) -> Rendition:
    """Decode ``src`` once into the streaming MP3 at ``stream_dst`` (replaced if it exists)
    and its waveform. The MP3 is written beside ``stream_dst`` under a temporary name and
    renamed when complete, so a failure leaves ``stream_dst`` as it was.

    Raises ``InvalidAudio`` for what ``probe`` refuses, and when decoding fails.
    """
    # A name of our own rather than mkstemp's, so the file gets the usual permissions (umask).
    tmp_name = str(stream_dst.with_name(f".{stream_dst.name}.{uuid.uuid4().hex}.part"))
    try:
        with _open(src) as container, av.open(tmp_name, "w", format="mp3") as out:
            rendition = _transcode(container, out)
        os.replace(tmp_name, stream_dst)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return rendition


def _transcode(
    container: av.container.InputContainer, out: av.container.OutputContainer
) -> Rendition:
    """The decode loop: this thread decodes, stamps and measures each frame, and hands them in
    batches to an ``_EncoderThread`` (which resamples to 44.1 kHz stereo, cuts LAME's
    1152-sample frames, encodes and writes)."""
    decoder = _Decoder(container, _audio_stream(container))
    frames = decoder.frames()
    first = next(frames, None)
    if first is None:
        raise InvalidAudio(DAMAGED)
    mp3 = out.add_stream("libmp3lame", rate=STREAM_RATE, layout=STREAM_LAYOUT)
    mp3.bit_rate = STREAM_BIT_RATE  # with no quality option set, LAME encodes CBR
    normalize = _Normalizer(first)
    meter = PeakMeter(first.sample_rate)
    samples = 0  # at the first frame's rate
    batch: list[av.AudioFrame] = []
    encoder = _EncoderThread(out, mp3)
    try:
        for decoded in itertools.chain([first], frames, [None]):
            for frame in normalize(decoded):
                # Our own clock: source timestamps may start below zero or jump.
                frame.pts, frame.time_base = samples, normalize.time_base
                samples += frame.samples
                meter.add(frame)
                batch.append(frame)
            if len(batch) >= _BATCH_FRAMES or decoded is None:
                encoder.put(batch)
                batch = []
        decoder.check()
        encoder.finish()
    finally:
        encoder.close()
    if samples == 0:
        raise InvalidAudio(DAMAGED)
    duration = samples / normalize.rate
    return Rendition(duration=duration, seconds=round(duration), peaks=meter.peaks())


_BATCH_FRAMES = 32  # frames handed to the encoder thread at a time: under a second of audio
_QUEUED_BATCHES = 8  # batches decoded ahead at most


class _EncoderThread:
    """Encodes and writes batches of frames on a thread of its own. LAME is most of the work
    and runs without the GIL, so it overlaps the decoding and the peaks of the next batch:
    the pipeline uses two cores where it has them (as ffmpeg piping PCM to a reader does)."""

    def __init__(self, out: av.container.OutputContainer, stream: av.AudioStream) -> None:
        self._out, self._stream = out, stream
        self._queue: queue.Queue[list[av.AudioFrame] | None] = queue.Queue(_QUEUED_BATCHES)
        self._error: BaseException | None = None
        self._abandoned = False
        self._thread = threading.Thread(target=self._run, name="mp3-encoder", daemon=True)
        self._thread.start()

    def put(self, frames: list[av.AudioFrame]) -> None:
        """Queue frames (blocking while the encoder is behind); raises what the thread
        raised, if it failed."""
        if self._error is not None:
            raise self._error
        self._queue.put(frames)

    def finish(self) -> None:
        """Flush the encoder and wait for the thread; raises what it raised."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stop the thread without flushing, if it is still running (after an error)."""
        if self._thread.is_alive():
            self._abandoned = True
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        # After a failure, or when abandoned, keep taking batches (so put() never blocks
        # forever) without encoding them.
        while (frames := self._queue.get()) is not None:
            if self._error is None and not self._abandoned:
                self._encode(frames)
        if self._error is None and not self._abandoned:
            self._encode([None])

    def _encode(self, frames: list[av.AudioFrame] | list[None]) -> None:
        try:
            for frame in frames:
                self._out.mux(self._stream.encode(frame))
        except BaseException as error:  # handed to the main thread
            self._error = error


class _Normalizer:
    """Keeps every frame in the first frame's format, layout and rate. PyAV's encoder sets up
    its converter from the first frame it gets and refuses any other; a chained Ogg or a
    spliced MP3 may change rate midway, and is converted back here (only then)."""

    def __init__(self, first: av.AudioFrame) -> None:
        self.format = first.format.name
        self.layout = first.layout.name
        self.rate = first.sample_rate
        self.time_base = Fraction(1, self.rate)
        self._resampler: av.AudioResampler | None = None
        self._resampler_input: tuple[str, str, int] | None = None

    def __call__(self, frame: av.AudioFrame | None) -> list[av.AudioFrame]:
        if frame is None:  # end of stream: what a resampler still holds
            return self._flush()
        shape = (frame.format.name, frame.layout.name, frame.sample_rate)
        if shape == (self.format, self.layout, self.rate):
            return [*self._flush(), frame]
        if shape != self._resampler_input:
            flushed = self._flush()
            self._resampler = av.AudioResampler(self.format, self.layout, self.rate)
            self._resampler_input = shape
            return flushed + self._resampler.resample(frame)
        assert self._resampler is not None
        return self._resampler.resample(frame)

    def _flush(self) -> list[av.AudioFrame]:
        if self._resampler is None:
            return []
        frames = self._resampler.resample(None)
        self._resampler = self._resampler_input = None
        return frames


@contextlib.contextmanager
def _open(path: Path) -> Iterator[av.container.InputContainer]:
    """Open an upload for reading with only the accepted demuxers, mapping FFmpeg's refusals
    to messages."""
    if path.stat().st_size == 0:
        raise InvalidAudio(EMPTY)
    try:
        container = av.open(
            str(path), "r", container_options=_OPEN_OPTIONS, metadata_errors="replace"
        )
    except av.ArgumentError as error:  # a format FFmpeg knows, outside the whitelist
        raise InvalidAudio(NOT_ACCEPTED) from error
    except av.FFmpegError as error:  # nothing FFmpeg recognises
        raise InvalidAudio(NOT_AUDIO) from error
    with container:
        yield container


def _audio_stream(container: av.container.InputContainer) -> av.AudioStream:
    """The audio stream to use, checked against the accepted codecs of its container."""
    if not container.streams.audio:
        raise InvalidAudio(NO_AUDIO_STREAM)
    stream = container.streams.best("audio")
    assert isinstance(stream, av.AudioStream)
    codec = stream.codec_context.codec.canonical_name
    accepted = next(f for f in ACCEPTED_FORMATS if f.container == container.format.name)
    if codec not in accepted.codecs:
        raise InvalidAudio(
            f"This {accepted.name.split(' ')[0]} file holds audio coded as "
            f"{stream.codec_context.codec.long_name}, which we don't accept. "
            f"Upload {ACCEPTED_DESCRIPTION}."
        )
    return stream


def _stated_duration(container: av.container.InputContainer, stream: av.AudioStream) -> float:
    """The duration the stream (else the container) states, in seconds; refuses none."""
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / av.time_base
    else:
        duration = 0.0
    if not (duration > 0 and math.isfinite(duration)):
        raise InvalidAudio(NO_DURATION)
    return duration


class _Decoder:
    """The stream's decoded frames. A packet that fails to decode is skipped, as FFmpeg's own
    tools do; ``check`` then refuses the file if more than one packet and more than
    ``MAX_BAD_PACKETS`` of those read failed. A container that cannot be read on is damaged."""

    def __init__(self, container: av.container.InputContainer, stream: av.AudioStream) -> None:
        self._container, self._stream = container, stream
        self.packets = self.bad = 0

    def frames(self) -> Iterator[av.AudioFrame]:
        decoder = self._stream.codec_context
        try:
            for packet in self._container.demux(self._stream):
                self.packets += 1
                try:
                    frames = decoder.decode(packet)
                except av.FFmpegError:
                    self.bad += 1
                    continue
                yield from frames
        except av.FFmpegError as error:  # from the demuxer
            raise InvalidAudio(DAMAGED) from error

    def check(self) -> None:
        if self.bad > 1 and self.bad > self.packets * MAX_BAD_PACKETS:
            raise InvalidAudio(DAMAGED)
