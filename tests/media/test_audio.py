"""probe and make_rendition on real files in every accepted format, and on junk."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from mixcast.media.audio import (
    DAMAGED,
    EMPTY,
    NO_AUDIO_STREAM,
    NOT_ACCEPTED,
    NOT_AUDIO,
    InvalidAudio,
    make_rendition,
    probe,
    read_peaks,
)
from tests.media.conftest import ACCEPTED, JUNK, SECONDS

EXPECTED = {  # sample -> (container, codec, sample rate, channels)
    "mp3": ("mp3", "mp3", 44_100, 2),
    "m4a": ("mov,mp4,m4a,3gp,3g2,mj2", "aac", 44_100, 2),
    "wav": ("wav", "pcm_s16le", 44_100, 2),
    "flac": ("flac", "flac", 44_100, 2),
    "ogg": ("ogg", "vorbis", 44_100, 2),
    "opus": ("ogg", "opus", 48_000, 2),
    "aiff": ("aiff", "pcm_s16be", 44_100, 2),
    "wav-mono-22k": ("wav", "pcm_s16le", 22_050, 1),
    "m4a-with-video": ("mov,mp4,m4a,3gp,3g2,mj2", "aac", 44_100, 2),
}
REFUSALS = {  # junk sample -> the message its uploader reads
    "text": NOT_AUDIO,
    "random": NOT_AUDIO,
    "empty": EMPTY,
    "png": NOT_ACCEPTED,
    "wma": NOT_ACCEPTED,
    "video-only": NO_AUDIO_STREAM,
    "truncated-mp3": DAMAGED,
    "header-only-wav": "This audio has no length: the file may be damaged.",
    "mp3-in-mp4": "This M4A file holds audio coded as MP3 (MPEG audio layer 3), which we "
    "don't accept. Upload MP3, M4A (AAC), WAV, FLAC, OGG (Vorbis or Opus) or AIFF.",
}
PEAK_KEYS = {"version", "channels", "sample_rate", "samples_per_pixel", "bits", "length", "data"}
MP3_FRAME_BYTES = {417, 418}  # 144 * 128000 / 44100 = 417.96: CBR frames, padded or not


def decoded_mono(path: Path) -> tuple[np.ndarray, int]:
    """All of a 16-bit file's samples mixed to mono (the mean of the channels), by PyAV
    alone: what the peaks are checked against."""
    with av.open(str(path)) as container:
        frames = list(container.decode(audio=0))
        assert {frame.format.name for frame in frames} == {"s16"}
        arrays = [frame.to_ndarray() for frame in frames]
        rate = container.streams.audio[0].codec_context.sample_rate
        channels = container.streams.audio[0].codec_context.channels
    interleaved = np.concatenate(arrays, axis=1)[0].astype(np.float64)
    return interleaved.reshape(-1, channels).mean(axis=1), rate


def expected_peaks(mono: np.ndarray, samples_per_pixel: int) -> list[int]:
    """audiowaveform's computation, written the plain way: each pixel's min and max of the
    16-bit samples, shifted right by 8."""
    data = []
    for start in range(0, mono.size, samples_per_pixel):
        pixel = mono[start : start + samples_per_pixel]
        data += [math.floor(pixel.min() / 256), math.floor(pixel.max() / 256)]
    return data


def mp3_packets(path: Path) -> list[int]:
    with av.open(str(path)) as container:
        return [p.size for p in container.demux(audio=0) if p.size]


# ---------------------------------------------------------------- probe


@pytest.mark.parametrize("name", [*ACCEPTED, "wav-mono-22k", "m4a-with-video"])
def test_probe_accepts_each_format(samples: dict[str, Path], name: str) -> None:
    info = probe(samples[name])
    assert (info.container, info.codec, info.sample_rate, info.channels) == EXPECTED[name]
    assert info.duration == pytest.approx(SECONDS, abs=0.1)
    assert info.seconds == 3
    assert info.bit_rate is None or info.bit_rate > 0


@pytest.mark.parametrize("name", JUNK)
def test_probe_refuses_junk_with_a_message(samples: dict[str, Path], name: str) -> None:
    with pytest.raises(InvalidAudio) as refused:
        probe(samples[name])
    assert refused.value.message == REFUSALS[name]
    assert refused.value.http_status == 400
    assert refused.value.body()["error"]["type"] == "InvalidAudioException"


def test_probe_reads_only_the_start_of_a_huge_file(samples: dict[str, Path], tmp_path: Path):
    """A 4 GiB WAV (sparse: 3 s of sound, then zeros) is probed in well under a second."""
    huge = tmp_path / "huge"
    huge.write_bytes(samples["wav"].read_bytes())
    size = 4 * 2**30 - 1
    with huge.open("r+b") as file:
        file.truncate(size)
        head = bytearray(file.read(4096))
        data_at = head.index(b"data")
        head[4:8] = (size - 8).to_bytes(4, "little")  # RIFF and data chunk sizes
        head[data_at + 4 : data_at + 8] = (size - data_at - 8).to_bytes(4, "little")
        file.seek(0)
        file.write(head)
    started = time.perf_counter()
    info = probe(huge)
    assert time.perf_counter() - started < 0.5
    assert info.seconds == round((size - data_at - 8) / (44_100 * 4))  # about 6.8 hours


# ---------------------------------------------------------------- make_rendition


@pytest.mark.parametrize("name", [*ACCEPTED, "wav-mono-22k", "m4a-with-video"])
def test_rendition_is_a_128k_cbr_mp3_of_the_same_length(
    samples: dict[str, Path], tmp_path: Path, name: str
) -> None:
    dst = tmp_path / "stream.mp3"
    rendition = make_rendition(samples[name], dst)
    info = probe(dst)
    assert (info.container, info.codec, info.bit_rate) == ("mp3", "mp3", 128_000)
    assert (info.sample_rate, info.channels) == (44_100, 2)
    assert info.duration == pytest.approx(SECONDS, abs=0.1)
    assert rendition.duration == pytest.approx(SECONDS, abs=0.1)
    assert rendition.seconds == 3
    packets = mp3_packets(dst)
    assert set(packets) <= MP3_FRAME_BYTES
    # The Xing header of a CBR file ("Info") with the exact frame count, for seeking.
    head = dst.read_bytes()[:8192]
    info_at = head.index(b"Info")
    assert int.from_bytes(head[info_at + 4 : info_at + 8], "big") & 1  # frame count present
    assert int.from_bytes(head[info_at + 8 : info_at + 12], "big") == len(packets)
    assert rendition.peaks["sample_rate"] == EXPECTED[name][2]
    assert list(tmp_path.iterdir()) == [dst]


@pytest.mark.parametrize("name", ["wav", "flac-long", "wav-mono-22k"])
def test_peaks_are_audiowaveform_json(samples: dict[str, Path], tmp_path: Path, name: str):
    peaks = make_rendition(samples[name], tmp_path / "stream.mp3").peaks
    assert set(peaks) == PEAK_KEYS
    assert all(type(peaks[key]) is int for key in PEAK_KEYS - {"data"})
    assert (peaks["version"], peaks["channels"], peaks["bits"]) == (2, 1, 8)
    assert all(type(value) is int and -128 <= value <= 127 for value in peaks["data"])
    assert len(peaks["data"]) == 2 * peaks["length"]
    mono, rate = decoded_mono(samples[name])
    spp = peaks["samples_per_pixel"]
    assert peaks["sample_rate"] == rate
    assert spp % 256 == 0 and peaks["length"] <= 2000
    assert peaks["length"] == math.ceil(mono.size / spp)
    if name == "flac-long":  # 20 s: too many pixels at 256 samples, so merged
        assert spp == 512
    else:
        assert spp == 256
    assert peaks["data"] == expected_peaks(mono, spp)
    assert json.loads(json.dumps(peaks)) == peaks == read_peaks(json.dumps(peaks).encode())


def test_louder_audio_gives_larger_peaks(samples: dict[str, Path], tmp_path: Path) -> None:
    def loudest(name: str) -> int:
        return max(make_rendition(samples[name], tmp_path / f"{name}.mp3").peaks["data"])

    silent, quiet, loud = loudest("wav-silent"), loudest("wav-quiet"), loudest("wav-loud")
    assert silent == 0
    assert 8 <= quiet <= 12  # a tone peaking at 0.1 of full scale: at most 12.8 of 128
    assert loud > 8 * quiet


def test_rendition_follows_a_change_of_rate_midway(samples: dict[str, Path], tmp_path: Path):
    """3 s at 44.1 kHz stereo, then 3 s at 32 kHz mono and louder: all of it is encoded, and
    the waveform keeps the first part's rate throughout."""
    dst = tmp_path / "stream.mp3"
    rendition = make_rendition(samples["spliced-mp3"], dst)
    assert rendition.duration == pytest.approx(2 * SECONDS, abs=0.1)
    assert probe(dst).duration == pytest.approx(2 * SECONDS, abs=0.1)
    peaks = rendition.peaks
    assert peaks["sample_rate"] == 44_100
    assert peaks["length"] == math.ceil(rendition.duration * 44_100 / 256)
    half = peaks["length"]  # pixels; data has two values per pixel
    first, second = peaks["data"][: half - 20], peaks["data"][half + 20 :]
    assert max(second) > max(first) + 15  # 0.9 of full scale after 0.5


def test_silence_gives_flat_peaks(samples: dict[str, Path], tmp_path: Path) -> None:
    peaks = make_rendition(samples["wav-silent"], tmp_path / "stream.mp3").peaks
    assert set(peaks["data"]) == {0}


def test_rendition_twice_gives_the_same_result(samples: dict[str, Path], tmp_path: Path):
    dst = tmp_path / "stream.mp3"
    first = make_rendition(samples["ogg"], dst)
    first_bytes = dst.read_bytes()
    second = make_rendition(samples["ogg"], dst)
    assert second == first
    assert dst.read_bytes() == first_bytes
    assert list(tmp_path.iterdir()) == [dst]


@pytest.mark.parametrize("name", JUNK)
def test_failed_rendition_leaves_no_file(samples: dict[str, Path], tmp_path: Path, name: str):
    dst = tmp_path / "stream.mp3"
    with pytest.raises(InvalidAudio):
        make_rendition(samples[name], dst)
    assert list(tmp_path.iterdir()) == []


def test_failed_rendition_keeps_the_previous_one(samples: dict[str, Path], tmp_path: Path):
    dst = tmp_path / "stream.mp3"
    make_rendition(samples["mp3"], dst)
    before = dst.read_bytes()
    with pytest.raises(InvalidAudio):
        make_rendition(samples["truncated-mp3"], dst)
    assert dst.read_bytes() == before
    assert list(tmp_path.iterdir()) == [dst]


# ---------------------------------------------------------------- read_peaks


def _peaks(**changes: Any) -> bytes:
    peaks = {"version": 2, "channels": 1, "sample_rate": 44100, "samples_per_pixel": 256}
    peaks |= {"bits": 8, "length": 2, "data": [-3, 4, -128, 127]}
    return json.dumps(peaks | changes).encode()


def test_read_peaks_takes_a_stored_waveform() -> None:
    assert read_peaks(_peaks())["data"] == [-3, 4, -128, 127]


@pytest.mark.parametrize(
    "changes",
    [
        {"version": 1},
        {"bits": 12},
        {"length": 3},
        {"data": [-3, 4, -129, 127]},
        {"data": [-3, 4, 0.5, 1]},
        {"sample_rate": "44100"},
    ],
)
def test_read_peaks_refuses_a_broken_waveform(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        read_peaks(_peaks(**changes))
