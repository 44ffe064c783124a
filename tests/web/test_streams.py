"""The player's routes on the site: ``/{user}/{show}/stream.mp3`` (HTTP Range, conditional
requests, caching, who may hear what, S3 redirects), ``peaks.json`` and ``listens/``.

The audio and the waveform are the real pipeline's output (``make_rendition`` of a real WAV)."""

from __future__ import annotations

import email.parser
import email.policy
import secrets
from dataclasses import dataclass
from email.utils import formatdate

import httpx
import orjson
import pytest

from mixcast.db.counters import drifted
from mixcast.db.database import Query
from mixcast.media.audio import make_rendition
from mixcast.media.waveform import read_peaks
from mixcast.services import Services
from mixcast.web.streams import LISTEN_LIMIT, byte_ranges
from tests.conftest import client_of
from tests.factories import T0, make_show
from tests.media.conftest import Sample, write_audio
from tests.web.conftest import NewClient
from tests.web.helpers import sign_up

pytestmark = pytest.mark.anyio

ANON = "browser-anon-id-0001"


@dataclass(frozen=True)
class Media:
    mp3: bytes
    peaks: bytes


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    work = tmp_path_factory.mktemp("stream-media")
    write_audio(work / "source.wav", Sample("wav", "pcm_s16le", seconds=4.0))
    rendition = make_rendition(work / "source.wav", work / "stream.mp3")
    return Media((work / "stream.mp3").read_bytes(), orjson.dumps(rendition.peaks))


async def user_id(services: Services, username: str) -> int:
    value: int = await services.db.fetch_value(
        Query("SELECT id FROM users WHERE username = :name"), {"name": username}
    )
    return value


async def add_show(
    services: Services,
    owner_id: int,
    media: Media,
    name: str = "Party Time",
    *,
    stream: bool = True,
    peaks: bool = True,
    **fields: object,
) -> str:
    """A show whose stream (and waveform) are in the store; its path, ``/<user>/<slug>/``."""
    folder = f"shows/test-{secrets.token_hex(8)}"
    if stream:
        services.store.put_bytes(f"{folder}/stream.mp3", media.mp3)
        fields["stream_blob"] = f"{folder}/stream.mp3"
    if peaks:
        services.store.put_bytes(f"{folder}/waveform.json", media.peaks)
        fields["waveform_blob"] = f"{folder}/waveform.json"
    _, slug = await make_show(services, owner_id, name, **fields)
    username = await services.db.fetch_value(
        Query("SELECT username FROM users WHERE id = :id"), {"id": owner_id}
    )
    return f"/{username}/{slug}/"


@pytest.fixture
async def owner(client: httpx.AsyncClient, services: Services) -> int:
    """spartacus, signed in on ``client``."""
    await sign_up(client, "spartacus")
    return await user_id(services, "spartacus")


@pytest.fixture
async def show(services: Services, owner: int, media: Media) -> str:
    return await add_show(services, owner, media)


# ---------------------------------------------------------------- whole file, HEAD, caching


async def test_the_whole_stream(client, show, media):
    response = await client.get(show + "stream.mp3")
    assert response.status_code == 200
    assert response.content == media.mp3
    headers = response.headers
    assert headers["content-type"] == "audio/mpeg"
    assert headers["accept-ranges"] == "bytes"
    assert headers["content-length"] == str(len(media.mp3))
    assert headers["cache-control"] == "public, max-age=3600"
    assert headers["etag"].startswith('"') and headers["last-modified"].endswith(" GMT")
    assert headers["x-content-type-options"] == "nosniff"


async def test_head_sends_the_headers_only(client, show, media):
    response = await client.head(show + "stream.mp3")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-length"] == str(len(media.mp3))
    assert response.headers["accept-ranges"] == "bytes"
    ranged = await client.head(show + "stream.mp3", headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == b""
    assert ranged.headers["content-range"] == f"bytes 10-19/{len(media.mp3)}"
    assert ranged.headers["content-length"] == "10"


# ---------------------------------------------------------------- Range


def _single_ranges(size: int) -> list[tuple[str, int, int]]:
    """(Range header, first byte, last byte) of each single range answered 206."""
    return [
        ("bytes=0-0", 0, 0),  # the first byte
        (f"bytes={size - 1}-{size - 1}", size - 1, size - 1),  # the last byte
        (f"bytes={size - 1}-", size - 1, size - 1),
        ("bytes=-1", size - 1, size - 1),
        ("bytes=-100", size - 100, size - 1),  # suffix
        ("bytes=100-", 100, size - 1),  # open-ended
        ("bytes=0-", 0, size - 1),
        ("bytes=100-199", 100, 199),
        (f"bytes=0-{size + 1000}", 0, size - 1),  # past the end: cut to it
        (f"bytes=-{size + 1000}", 0, size - 1),  # suffix longer than the file: all of it
        ("bytes=0-99999999999999999999999999", 0, size - 1),
        ("BYTES = 5-9", 5, 9),  # the unit is case-insensitive
        ("bytes=,5-9,", 5, 9),  # empty list elements are ignored
        ("bytes=0-9,5-19", 0, 19),  # overlapping parts merged
        ("bytes=0-9,10-19", 0, 19),  # adjacent parts merged
        (f"bytes=0-9,{size}-{size + 10}", 0, 9),  # the unsatisfiable part dropped
    ]


async def test_single_ranges(client, show, media):
    size = len(media.mp3)
    for header, first, last in _single_ranges(size):
        response = await client.get(show + "stream.mp3", headers={"Range": header})
        assert response.status_code == 206, header
        assert response.headers["content-range"] == f"bytes {first}-{last}/{size}", header
        assert response.headers["content-length"] == str(last - first + 1), header
        assert response.headers["content-type"] == "audio/mpeg"
        assert response.content == media.mp3[first : last + 1], header


async def test_unsatisfiable_ranges_are_416(client, show, media):
    size = len(media.mp3)
    for header in (
        f"bytes={size}-",  # starts at the end
        f"bytes={size + 5}-{size + 10}",
        "bytes=-0",  # an empty suffix
        f"bytes={size}-,{size + 1}-",
        "bytes=99999999999999999999999999-",
    ):
        response = await client.get(show + "stream.mp3", headers={"Range": header})
        assert response.status_code == 416, header
        assert response.headers["content-range"] == f"bytes */{size}", header


async def test_invalid_ranges_are_ignored(client, show, media):
    """RFC 9110 §14.2: a server may ignore an invalid Range (it then sends the whole file) and
    must ignore one in a unit it does not know."""
    for header in (
        "bytes=9-5",  # inverted
        "bytes=abc",
        "bytes=",
        "bytes=-",
        "bytes=1-2-3",
        "bytes=--5",
        "bytes=0x10-0x20",
        "bytes=5-9,9-5",  # one invalid part spoils the set
        "bytes 0-5",  # no "="
        "items=0-5",  # a unit we do not have
        "garbage",
        "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 34, 2)),  # 17 parts: too many
    ):
        response = await client.get(show + "stream.mp3", headers={"Range": header})
        assert response.status_code == 200, header
        assert response.content == media.mp3, header
        assert "content-range" not in response.headers


async def test_several_ranges_are_multipart(client, show, media):
    size = len(media.mp3)
    response = await client.get(show + "stream.mp3", headers={"Range": "bytes=-10,0-9,100-109"})
    assert response.status_code == 206
    kind = response.headers["content-type"]
    assert kind.startswith("multipart/byteranges; boundary=")
    assert response.headers["content-length"] == str(len(response.content))
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {kind}\r\n\r\n".encode() + response.content
    )
    parts = [
        (part["Content-Type"], part["Content-Range"], part.get_payload(decode=True))
        for part in message.iter_parts()
    ]
    assert (
        parts
        == [  # in file order
            ("audio/mpeg", f"bytes 0-9/{size}", media.mp3[:10]),
            ("audio/mpeg", f"bytes 100-109/{size}", media.mp3[100:110]),
            ("audio/mpeg", f"bytes {size - 10}-{size - 1}/{size}", media.mp3[-10:]),
        ]
    )


def test_byte_ranges_directly():
    assert byte_ranges("bytes=0-0", 0) == []  # nothing of an empty file is satisfiable
    assert byte_ranges("bytes=-5", 0) == []
    assert byte_ranges("bytes=0-4, 2-8 ,20-", 10) == [(0, 9)]
    assert byte_ranges("bytes=-3,0-1", 10) == [(0, 2), (7, 10)]
    assert byte_ranges("bytes=5-4", 10) is None
    assert byte_ranges("bytes=1 -2", 10) is None  # no whitespace inside a range


# ---------------------------------------------------------------- conditional requests


async def test_if_none_match_and_if_modified_since(client, show, media):
    first = await client.get(show + "stream.mp3")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},  # weak comparison, in a list
        {"If-None-Match": "*"},
        {"If-Modified-Since": modified},
        {"If-Modified-Since": formatdate(T0 * 2 / 1e6, usegmt=True)},  # later
        {"If-None-Match": etag, "Range": "bytes=0-9"},
    ):
        response = await client.get(show + "stream.mp3", headers=headers)
        assert response.status_code == 304, headers
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == "public, max-age=3600"
    for headers in (
        {"If-None-Match": '"other"'},
        {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"},  # earlier
        {"If-Modified-Since": "not a date"},
        # If-None-Match decides alone when it is sent.
        {"If-None-Match": '"other"', "If-Modified-Since": modified},
    ):
        response = await client.get(show + "stream.mp3", headers=headers)
        assert response.status_code == 200, headers
        assert response.content == media.mp3


async def test_if_range(client, show, media):
    first = await client.get(show + "stream.mp3")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for validator in (etag, modified):
        response = await client.get(
            show + "stream.mp3", headers={"Range": "bytes=0-9", "If-Range": validator}
        )
        assert response.status_code == 206 and response.content == media.mp3[:10]
    for stale in ('"changed"', "W/" + etag, "Sat, 01 Jan 2000 00:00:00 GMT"):
        response = await client.get(
            show + "stream.mp3", headers={"Range": "bytes=0-9", "If-Range": stale}
        )
        assert response.status_code == 200 and response.content == media.mp3, stale


# ---------------------------------------------------------------- who may hear what

VISIBILITY = [
    # visibility, status, heard by anyone
    ("public", "ready", True),
    ("unlisted", "ready", True),
    ("draft", "ready", False),
    ("scheduled", "ready", False),
    ("public", "processing", False),
    ("public", "received", False),
    ("public", "failed", False),
]


@pytest.mark.parametrize(("visibility", "status", "open_to_all"), VISIBILITY)
async def test_who_may_hear_a_show(
    client, services, owner, media, new_client: NewClient, visibility, status, open_to_all
):
    publish_at = T0 * 2 if visibility == "scheduled" else None
    path = await add_show(
        services, owner, media, visibility=visibility, status=status, publish_at=publish_at
    )
    anonymous = await new_client(ip="10.0.0.2")
    other = await new_client(ip="10.0.0.3")
    await sign_up(other, "crixus")
    for who, browser in (("owner", client), ("anonymous", anonymous), ("other", other)):
        may = open_to_all or who == "owner"
        for route in ("stream.mp3", "peaks.json"):
            response = await browser.get(path + route)
            assert response.status_code == (200 if may else 404), (who, route)
            if may:
                cache = "public, max-age=3600" if open_to_all else "private, max-age=3600"
                assert response.headers["cache-control"] == cache, (who, route)
            else:  # as if there were no such show: nothing of it leaks
                assert response.headers["cache-control"] == "no-store"
                assert b"Party Time" not in response.content
        listen = await browser.post(path + "listens/", json={"listener": ANON, "seconds": 31})
        assert listen.status_code == (200 if may else 404), who
        if may:
            assert listen.json() == {"counted": open_to_all}


async def test_missing_streams_and_shows_are_404(client, services, owner, media):
    bare = await add_show(services, owner, media, "No Media", stream=False, peaks=False)
    for path in (
        bare + "stream.mp3",
        bare + "peaks.json",
        "/spartacus/no-such-show/stream.mp3",
        "/nobody/party-time/stream.mp3",
        "/spartacus/party-time/stream.mp3",  # never made
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
    # The row names a blob the store does not have.
    gone = await add_show(services, owner, media, "Gone")
    row = await services.db.fetch_one(
        Query("SELECT stream_blob, waveform_blob FROM shows WHERE slug = 'gone'")
    )
    assert row is not None
    services.store.delete(row["stream_blob"])
    services.store.delete(row["waveform_blob"])
    assert (await client.get(gone + "stream.mp3")).status_code == 404
    assert (await client.get(gone + "peaks.json")).status_code == 404


# ---------------------------------------------------------------- peaks


async def test_peaks(client, show, media):
    response = await client.get(show + "peaks.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.content == media.peaks
    peaks = read_peaks(response.content)
    assert peaks["version"] == 2 and peaks["length"] > 0
    again = await client.get(
        show + "peaks.json", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


# ---------------------------------------------------------------- S3


@pytest.mark.integration
async def test_s3_streams_redirect_to_a_presigned_url(s3_services, media):
    services = s3_services
    async with client_of(services) as client:
        await sign_up(client, "spartacus")
        owner = await user_id(services, "spartacus")
        path = await add_show(services, owner, media)
        draft = await add_show(services, owner, media, "Draft", visibility="draft")
        response = await client.get(path + "stream.mp3", headers={"Range": "bytes=0-9"})
        assert response.status_code == 302
        assert response.headers["cache-control"] == "no-store"
        location = response.headers["location"]
        assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
        # The owner's draft too, and nobody else's.
        assert (await client.get(draft + "stream.mp3")).status_code == 302
        async with client_of(services, "10.0.0.9") as stranger:
            assert (await stranger.get(draft + "stream.mp3")).status_code == 404
        # The peaks come through the site (same origin as the widget).
        peaks = await client.get(path + "peaks.json")
        assert peaks.status_code == 200 and peaks.content == media.peaks
        assert peaks.headers["cache-control"] == "public, max-age=3600"
        again = await client.get(
            path + "peaks.json", headers={"If-None-Match": peaks.headers["etag"]}
        )
        assert again.status_code == 304
    # Following the redirect as a browser does: S3 serves the bytes and honours Range.
    size = len(media.mp3)
    async with httpx.AsyncClient(timeout=10) as browser:
        whole = await browser.get(location)
        assert whole.status_code == 200 and whole.content == media.mp3
        part = await browser.get(location, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == media.mp3[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{size}"
        tail = await browser.get(location, headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and tail.content == media.mp3[-10:]


# ---------------------------------------------------------------- listens


async def plays(services: Services) -> list[tuple[str, int | None]]:
    rows = await services.db.fetch_all(Query("SELECT listener, user_id FROM listens ORDER BY id"))
    return [(r["listener"], r["user_id"]) for r in rows]


async def test_a_listen_report(client, services, show, owner, new_client: NewClient):
    anonymous = await new_client(ip="10.0.0.2")
    post = show + "listens/"
    assert (await anonymous.post(post, json={"listener": ANON, "seconds": 29.5})).json() == {
        "counted": False
    }
    response = await anonymous.post(post, json={"listener": ANON, "seconds": 30})
    assert response.status_code == 200 and response.json() == {"counted": True}
    assert response.headers["cache-control"] == "no-store"
    assert (await anonymous.post(post, json={"listener": ANON, "seconds": 95})).json() == {
        "counted": False
    }
    # Signed in, the user is the listener whatever anonymous id the player sends (or none).
    assert (await client.post(post, json={"listener": ANON, "seconds": 30})).json() == {
        "counted": True
    }
    assert (await client.post(post, json={"seconds": 40})).json() == {"counted": False}
    assert await plays(services) == [(f"a:{ANON}", None), (f"u:{owner}", owner)]
    # fetch() with a string body says text/plain: read as JSON all the same.
    text = await anonymous.post(
        post,
        content=orjson.dumps({"listener": "another-anon-id-02", "seconds": 30}),
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert text.json() == {"counted": True}
    async with services.db.reading() as conn:
        assert await drifted(conn) == []


async def test_bad_listen_reports_are_400(show, new_client: NewClient):
    client = await new_client(ip="10.0.0.2")  # signed out
    post = show + "listens/"
    for body in (
        b"",
        b"not json",
        b"[1, 2]",
        b'{"listener": "browser-anon-id-0001"}',
        b'{"listener": "browser-anon-id-0001", "seconds": "30"}',
        b'{"listener": "browser-anon-id-0001", "seconds": true}',
        b'{"listener": "browser-anon-id-0001", "seconds": -1}',
        b'{"listener": "browser-anon-id-0001", "seconds": NaN}',
        b'{"listener": "browser-anon-id-0001", "seconds": 1e400}',
        b'{"listener": "short", "seconds": 30}',
        b'{"listener": 12345678901234567890, "seconds": 30}',
        b'{"seconds": 30}',  # signed out without a listener id
    ):
        response = await client.post(post, content=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["type"] == "InvalidListen"
    big = b'{"listener": "browser-anon-id-0001", "seconds": 30, "pad": "' + b"x" * 2000 + b'"}'
    assert (await client.post(post, content=big)).status_code == 413


async def test_listen_reports_from_other_origins_are_refused(client, services, show):
    post = show + "listens/"
    body = {"listener": ANON, "seconds": 30}
    for origin in ("https://evil.example", "null", "http://testserver:8080"):
        response = await client.post(post, json=body, headers={"Origin": origin})
        assert response.status_code == 403, origin
    assert await plays(services) == []
    ours = await client.post(post, json=body, headers={"Origin": "http://testserver"})
    assert ours.json() == {"counted": True}


async def test_listen_reports_are_rate_limited_per_address(services, show, new_client):
    limit = int(LISTEN_LIMIT.split("/")[0])
    busy, quiet = await new_client(ip="10.0.0.7"), await new_client(ip="10.0.0.8")
    post, body = show + "listens/", {"listener": ANON, "seconds": 1}
    for _ in range(limit):
        assert (await busy.post(post, json=body)).status_code == 200
    refused = await busy.post(post, json=body)
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "RateLimitException"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert (await quiet.post(post, json=body)).status_code == 200  # another address


async def test_a_listen_report_is_a_post(client, show):
    assert (await client.get(show + "listens/")).status_code in (404, 405)
