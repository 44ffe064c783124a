"""The streaming multipart parser: bodies built byte by byte here, fed in many chunkings, files
checked on disk (bytes, size, CRC-32), and every way a body can be refused checked for its
status, its ``details`` and an empty temporary directory afterwards."""

from __future__ import annotations

import asyncio
import os
import tempfile
import zlib
from collections.abc import AsyncIterator, Iterable
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import ClientDisconnect

from mixcast.uploads.errors import WHOLE_FORM, UploadInvalid, UploadTooLarge
from mixcast.uploads.multipart import FormLimits, ReceivedForm, receive_form

pytestmark = pytest.mark.anyio

BOUNDARY = "----mixcastFormBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
LIMITS = FormLimits(files={"mp3": 4 * 1024 * 1024, "picture": 64 * 1024})
CHUNKINGS = [1, 7, 64 * 1024, None]  # None: the whole body at once


# Building bodies.


def part(
    name: str,
    value: bytes | str,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    extra_headers: Iterable[str] = (),
) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    headers = [f"Content-Disposition: {disposition}"]
    if content_type is not None:
        headers.append(f"Content-Type: {content_type}")
    headers.extend(extra_headers)
    content = value.encode() if isinstance(value, str) else value
    return "".join(f"{h}\r\n" for h in headers).encode() + b"\r\n" + content


def body(*parts: bytes, boundary: str = BOUNDARY) -> bytes:
    delimiter = f"--{boundary}".encode()
    framed = b"".join(delimiter + b"\r\n" + p + b"\r\n" for p in parts)
    return framed + delimiter + b"--\r\n"


def mp3(content: bytes, filename: str = "my mix.mp3") -> bytes:
    return part("mp3", content, filename=filename, content_type="audio/mpeg")


class Feed:
    """An async iterator over ``data`` in chunks of ``size`` that counts what was taken."""

    def __init__(self, data: bytes, size: int | None) -> None:
        self.data = data
        self.size = size or max(1, len(data))
        self.taken = 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self.taken >= len(self.data):
            raise StopAsyncIteration
        chunk = self.data[self.taken : self.taken + self.size]
        self.taken += len(chunk)
        return chunk

    @property
    def drained(self) -> bool:
        return self.taken >= len(self.data)


async def receive(
    data: bytes,
    tmp_dir: Path,
    size: int | None = 64 * 1024,
    limits: FormLimits = LIMITS,
    content_type: str = CONTENT_TYPE,
) -> ReceivedForm:
    return await receive_form(Feed(data, size), content_type, len(data), limits, tmp_dir)


@pytest.fixture
def tmp_dir(tmp_path: Path) -> Path:
    path = tmp_path / "uploads-tmp"
    path.mkdir()
    return path


def crc32(data: bytes) -> str:
    return f"{zlib.crc32(data):08x}"


# What a good body gives.


@pytest.mark.parametrize("size", CHUNKINGS)
async def test_files_and_fields_arrive_whole(tmp_dir: Path, size: int | None):
    audio = os.urandom(3000) + b"\r\n--" + BOUNDARY[:-3].encode() + b"\r\n" + os.urandom(500)
    picture = b"\x89PNG\r\n" + os.urandom(200)
    data = body(
        part("name", "Späti mix ♫"),
        mp3(audio),
        part("tags-0-tag", "house"),
        part("tags-1-tag", ""),
        part("picture", picture, filename="cover.png", content_type="image/png"),
        part("tags-0-tag", "techno"),
    )

    with await receive(data, tmp_dir, size) as form:
        assert form.fields == {
            "name": ["Späti mix ♫"],
            "tags-0-tag": ["house", "techno"],
            "tags-1-tag": [""],
        }
        received = form.files["mp3"]
        assert received.path.read_bytes() == audio
        assert (received.size, received.crc32) == (len(audio), crc32(audio))
        assert (received.filename, received.content_type) == ("my mix.mp3", "audio/mpeg")
        assert received.path.parent == tmp_dir
        assert form.files["picture"].path.read_bytes() == picture
        assert form.files["picture"].crc32 == crc32(picture)
    assert list(tmp_dir.iterdir()) == []


@pytest.mark.parametrize("size", [64 * 1024, 1_000_003, None])
async def test_a_file_of_several_megabytes_is_written_exactly(tmp_dir: Path, size: int | None):
    audio = os.urandom(3 * 1024 * 1024 + 12345)
    with await receive(body(mp3(audio), part("name", "x")), tmp_dir, size) as form:
        assert form.files["mp3"].path.read_bytes() == audio
        assert form.files["mp3"].crc32 == crc32(audio)
        assert form.fields == {"name": ["x"]}


# Data that starts like a delimiter line but is not one (a delimiter is followed by CRLF, "--"
# or transport padding; RFC 2046 forbids it inside a part).
LOOKALIKES = [
    b"\r",
    b"\r\n-",
    b"\r\n--",
    f"\r\n--{BOUNDARY[:-1]}".encode(),
    f"\r\n--{BOUNDARY}x".encode(),
]


@settings(max_examples=40, deadline=None)
@given(
    audio=st.lists(st.binary(max_size=100) | st.sampled_from(LOOKALIKES), max_size=12).map(
        b"".join
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
)
async def test_any_chunking_gives_the_same_file(audio: bytes, cuts: list[int]):
    data = body(part("name", "n"), mp3(audio, filename="a.mp3"))
    points = sorted({c for c in cuts if c < len(data)} | {0, len(data)})
    chunks = [data[a:b] for a, b in pairwise(points)]

    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    with tempfile.TemporaryDirectory() as tmp:
        with await receive_form(stream(), CONTENT_TYPE, None, LIMITS, Path(tmp)) as form:
            assert form.files["mp3"].path.read_bytes() == audio
            assert form.files["mp3"].crc32 == crc32(audio)
        assert os.listdir(tmp) == []


async def test_temporary_files_are_private(tmp_dir: Path):
    with await receive(body(mp3(b"abc")), tmp_dir) as form:
        assert form.files["mp3"].path.stat().st_mode & 0o777 == 0o600


async def test_a_filename_is_kept_as_sent_and_never_used_as_a_path(tmp_dir: Path):
    data = body(mp3(b"abc", filename="../../etc/passwd"))
    with await receive(data, tmp_dir) as form:
        assert form.files["mp3"].filename == "../../etc/passwd"
        assert form.files["mp3"].path.parent == tmp_dir


async def test_a_file_without_a_type_is_octet_stream(tmp_dir: Path):
    with await receive(body(part("mp3", b"abc", filename="a")), tmp_dir) as form:
        assert form.files["mp3"].content_type == "application/octet-stream"


async def test_no_file_chosen_in_a_browser_is_no_file(tmp_dir: Path):
    data = body(
        mp3(b"abc"),
        part("picture", b"", filename="", content_type="application/octet-stream"),
        part("other", b"", filename=""),
    )
    with await receive(data, tmp_dir) as form:
        assert set(form.files) == {"mp3"}
        assert len(list(tmp_dir.iterdir())) == 1


async def test_an_empty_file_with_a_name_is_a_file(tmp_dir: Path):
    with await receive(body(mp3(b"", filename="empty.mp3")), tmp_dir) as form:
        assert form.files["mp3"].size == 0
        assert form.files["mp3"].crc32 == crc32(b"")
        assert form.files["mp3"].path.read_bytes() == b""


async def test_an_empty_form_is_a_form(tmp_dir: Path):
    with await receive(body(), tmp_dir) as form:
        assert (form.fields, form.files) == ({}, {})


async def test_an_epilogue_after_the_closing_boundary_is_ignored(tmp_dir: Path):
    with await receive(body(part("name", "x")) + b"trailing junk", tmp_dir, 7) as form:
        assert form.fields == {"name": ["x"]}


async def test_a_taken_file_survives_discard(tmp_dir: Path):
    form = await receive(body(mp3(b"audio"), part("picture", b"png", filename="p.png")), tmp_dir)
    taken = form.take("mp3")
    assert taken is not None
    assert form.take("nothing") is None
    form.discard()
    form.discard()
    assert list(tmp_dir.iterdir()) == [taken.path]
    assert taken.path.read_bytes() == b"audio"


# What is refused, and how.


async def refused(
    data: bytes,
    tmp_dir: Path,
    size: int | None = 64 * 1024,
    limits: FormLimits = LIMITS,
    content_type: str = CONTENT_TYPE,
) -> UploadInvalid:
    with pytest.raises(UploadInvalid) as caught:
        await receive(data, tmp_dir, size, limits, content_type)
    assert list(tmp_dir.iterdir()) == []
    return caught.value


def assert_error(
    error: UploadInvalid, kind: type[UploadInvalid], details: dict[str, list[str]]
) -> None:
    assert type(error) is kind
    assert error.http_status == (413 if kind is UploadTooLarge else 400)
    assert error.body()["error"]["type"] == "FormValidationError"
    assert error.details == details


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/mixed; boundary=abc",
        "",
        f"multipart/form-data; boundary={'b' * 300}",
    ],
)
async def test_only_multipart_form_data_is_read(tmp_dir: Path, content_type: str):
    error = await refused(body(mp3(b"abc")), tmp_dir, content_type=content_type)
    assert_error(error, UploadInvalid, {WHOLE_FORM: ["Send the upload as multipart/form-data."]})


async def test_a_body_that_cannot_fit_is_refused_unread(tmp_dir: Path):
    feed = Feed(body(mp3(b"abc")), 64 * 1024)
    with pytest.raises(UploadTooLarge) as caught:
        await receive_form(feed, CONTENT_TYPE, LIMITS.max_body_bytes + 1, LIMITS, tmp_dir)
    assert WHOLE_FORM in (caught.value.details or {})
    assert feed.taken == 0


async def test_a_body_that_may_fit_is_read(tmp_dir: Path):
    feed = Feed(body(mp3(b"abc")), 64 * 1024)
    with await receive_form(feed, CONTENT_TYPE, LIMITS.max_body_bytes, LIMITS, tmp_dir) as form:
        assert form.files["mp3"].size == 3


@pytest.mark.parametrize("size", [7, 64 * 1024])
async def test_a_file_over_its_limit_is_refused_at_the_chunk_that_crosses_it(
    tmp_dir: Path, size: int
):
    limits = FormLimits(files={"mp3": 100_000})
    feed = Feed(body(part("name", "x"), mp3(os.urandom(1_000_000))), size)
    with pytest.raises(UploadTooLarge) as caught:
        await receive_form(feed, CONTENT_TYPE, None, limits, tmp_dir)
    assert_error(caught.value, UploadTooLarge, {"mp3": ["The file is larger than 100000 bytes."]})
    assert 100_000 < feed.taken < 100_000 + 300 + size
    assert list(tmp_dir.iterdir()) == []


async def test_a_file_exactly_at_its_limit_is_accepted(tmp_dir: Path):
    limits = FormLimits(files={"mp3": 1000})
    with await receive(body(mp3(b"a" * 1000)), tmp_dir, 7, limits) as form:
        assert form.files["mp3"].size == 1000


@pytest.mark.parametrize("size", CHUNKINGS)
async def test_a_file_in_an_unexpected_field_is_not_stored(tmp_dir: Path, size: int | None):
    data = body(mp3(b"audio"), part("attachment", b"exe", filename="run.exe"))
    error = await refused(data, tmp_dir, size)
    assert_error(error, UploadInvalid, {"attachment": ["Unexpected file."]})


async def test_an_unexpected_field_with_an_empty_filename_but_content_is_refused(tmp_dir: Path):
    error = await refused(body(part("attachment", b"exe", filename="")), tmp_dir)
    assert_error(error, UploadInvalid, {"attachment": ["Unexpected file."]})


@pytest.mark.parametrize("size", [1, None])
async def test_a_second_file_in_the_same_field_is_refused(tmp_dir: Path, size: int | None):
    error = await refused(body(mp3(b"one"), mp3(b"two")), tmp_dir, size)
    assert_error(error, UploadInvalid, {"mp3": ["Send one file in this field, not several."]})


async def test_text_in_a_file_field_is_refused(tmp_dir: Path):
    error = await refused(body(part("picture", b"p", filename="p"), part("mp3", "x")), tmp_dir)
    assert_error(error, UploadInvalid, {"mp3": ["This field must be a file."]})


@pytest.mark.parametrize("size", [7, None])
async def test_a_text_field_over_its_limit_is_refused(tmp_dir: Path, size: int | None):
    limits = FormLimits(files=LIMITS.files, max_field_bytes=10)
    data = body(mp3(b"audio"), part("name", "0123456789"), part("description", "0123456789!"))
    error = await refused(data, tmp_dir, size, limits)
    assert_error(error, UploadTooLarge, {"description": ["The value is longer than 10 bytes."]})


async def test_too_many_text_fields_are_refused(tmp_dir: Path):
    limits = FormLimits(files=LIMITS.files, max_fields=3)
    data = body(mp3(b"audio"), *(part(f"tags-{i}-tag", "t") for i in range(4)))
    error = await refused(data, tmp_dir, 7, limits)
    assert_error(error, UploadTooLarge, {WHOLE_FORM: ["The upload has more than 3 text fields."]})


@pytest.mark.parametrize("extra_headers", [["X-Long: " + "a" * 2000], ["X-A: b"] * 200])
@pytest.mark.parametrize("size", [7, None])
async def test_headers_over_their_limit_are_refused(
    tmp_dir: Path, size: int | None, extra_headers: list[str]
):
    limits = FormLimits(files=LIMITS.files, max_header_bytes=1000)
    data = body(mp3(b"audio"), part("name", "x", extra_headers=extra_headers))
    error = await refused(data, tmp_dir, size, limits)
    assert_error(
        error, UploadTooLarge, {"name": ["The part's headers are longer than 1000 bytes."]}
    )


async def test_text_that_is_not_utf8_is_refused(tmp_dir: Path):
    error = await refused(body(mp3(b"audio"), part("name", b"caf\xe9")), tmp_dir)
    assert_error(error, UploadInvalid, {"name": ["The value is not valid UTF-8 text."]})


@pytest.mark.parametrize(
    "headers",
    [b"Content-Type: text/plain\r\n", b'Content-Disposition: attachment; name="x"\r\n', b""],
)
async def test_a_part_without_a_form_data_name_is_refused(tmp_dir: Path, headers: bytes):
    error = await refused(body(mp3(b"audio"), headers + b"\r\nvalue"), tmp_dir)
    assert_error(
        error,
        UploadInvalid,
        {
            WHOLE_FORM: [
                "Each part of the upload needs a Content-Disposition: form-data header with a name."
            ]
        },
    )


@pytest.mark.parametrize("data", [b"not multipart at all", b"--" + BOUNDARY.encode() + b"xx"])
async def test_a_body_that_is_not_multipart_is_refused(tmp_dir: Path, data: bytes):
    error = await refused(data, tmp_dir)
    assert_error(
        error, UploadInvalid, {WHOLE_FORM: ["The upload is not valid multipart/form-data."]}
    )


@pytest.mark.parametrize("size", [7, 64 * 1024])
@pytest.mark.parametrize("keep", [0, 10, 120, 3000, -len(f"--{BOUNDARY}--\r\n")])
async def test_a_truncated_body_is_refused(tmp_dir: Path, size: int, keep: int):
    data = body(part("name", "x"), mp3(os.urandom(5000)))[:keep]
    error = await refused(data, tmp_dir, size)
    assert_error(error, UploadInvalid, {WHOLE_FORM: ["The upload ended before it was complete."]})


async def test_endless_padding_is_bounded_by_the_largest_possible_body(tmp_dir: Path):
    limits = FormLimits(files={"mp3": 100}, max_fields=1, max_field_bytes=10, max_header_bytes=100)
    padded = f"--{BOUNDARY}".encode() + b" " * limits.max_body_bytes + b"\r\n"
    data = body(mp3(b"audio")).replace(f"--{BOUNDARY}\r\n".encode(), padded, 1)
    feed = Feed(data, 64 * 1024)
    with pytest.raises(UploadTooLarge) as caught:
        await receive_form(feed, CONTENT_TYPE, None, limits, tmp_dir)
    assert WHOLE_FORM in (caught.value.details or {})


# Going away half way.


async def test_a_client_disconnecting_leaves_no_file(tmp_dir: Path):
    data = body(part("picture", b"p" * 1000, filename="p.png"), mp3(os.urandom(3_000_000)))

    async def stream() -> AsyncIterator[bytes]:
        yield data[:2_000_000]
        assert len(list(tmp_dir.iterdir())) == 2  # Both files were on their way to disk.
        raise ClientDisconnect()

    with pytest.raises(ClientDisconnect):
        await receive_form(stream(), CONTENT_TYPE, None, LIMITS, tmp_dir)
    assert list(tmp_dir.iterdir()) == []


async def test_cancelling_the_upload_leaves_no_file(tmp_dir: Path):
    data = body(part("picture", b"p" * 1000, filename="p.png"), mp3(os.urandom(3_000_000)))
    waiting = asyncio.Event()

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, 2_000_000, 64 * 1024):
            yield data[start : start + 64 * 1024]
        waiting.set()
        await asyncio.Event().wait()  # The client stalls.

    task = asyncio.ensure_future(receive_form(stream(), CONTENT_TYPE, None, LIMITS, tmp_dir))
    await waiting.wait()
    assert len(list(tmp_dir.iterdir())) == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_dir.iterdir()) == []
