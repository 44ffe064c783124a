"""Path traversal in keys and file names: ``..``, ``%2e%2e``, ``%2F``, backslashes and NUL
bytes in the API's and the site's paths (objects, streams, peaks, pictures), in an upload's
file names, and in storage keys. Every answer is a 404 (or 400) in its place's shape, never a
file from outside storage, and never a 500."""

from __future__ import annotations

import secrets
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import anyio
import httpx
import pytest

from mixcast.app import MixcastApp
from mixcast.services import Services
from mixcast.storage.base import InvalidKey
from mixcast.storage.local import LocalStore
from tests.api.uploading import audio_file, picture_bytes, stored_keys
from tests.conftest import assert_api_error
from tests.factories import make_show, make_token, make_user

pytestmark = pytest.mark.anyio

SECRET = b"root:x:0:0:the secret outside storage"
STREAM = b"ID3 not really an mp3, but the bytes the stream route serves"

# Segments that try to climb out, as a client may send them (already percent-encoded).
CLIMBS = [
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "..%2F..%2F..%2Fsecret",
    "%2e%2e%2f%2e%2e%2fsecret",
    "..%5C..%5Csecret",
    "%5C..%5C..%5Csecret",
    "party-time%00",
    "%00",
    "..%00",
    "%252e%252e",  # encoded twice: decoded once, it is the text "%2e%2e"
    "..%c0%af..",  # an overlong "/" (invalid UTF-8)
]


@pytest.fixture
async def world(services: Services, tmp_path: Path) -> dict[str, Any]:
    """spartacus's show "Party Time" with a stream and peaks in storage; a secret file beside
    and above the storage folder, which no request may reach."""
    spartacus = await make_user(services, "spartacus")
    services.store.put_bytes("streams/party.mp3", STREAM)
    services.store.put_bytes("waveforms/party.json", b'{"version": 2, "data": [0, 1]}')
    await make_show(
        services, spartacus, "Party Time", audio_length=60,
        stream_blob="streams/party.mp3", waveform_blob="waveforms/party.json",
    )  # fmt: skip
    root = Path(str(services.store.root))  # type: ignore[attr-defined]
    for folder in (root.parent, root.parent.parent, tmp_path):
        (folder / "secret").write_bytes(SECRET)
        (folder / "secret.jpg").write_bytes(SECRET)
    return {"token": await make_token(services, spartacus), "root": root}


def assert_no_secret(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert b"root:x" not in response.content


async def asgi_get(services: Services, raw_path: bytes) -> tuple[int, bytes]:
    """GET ``raw_path`` exactly as sent, dot segments included (httpx would remove them), the
    way uvicorn hands it over: ``path`` percent-decoded, ``raw_path`` as it came."""
    app = MixcastApp(services.settings, services)
    path = unquote(raw_path.decode("latin-1"), encoding="utf-8", errors="surrogateescape")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": raw_path, "query_string": b"",
        "root_path": "", "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }  # fmt: skip
    sent: list[MutableMapping[str, Any]] = []
    done = anyio.Event()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # as a server does: the client goes once it has the answer
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


# ------------------------------------------------------------------ the API's paths


async def test_the_real_paths_answer(client, world):
    """The paths below are the ones attacked: they work as they are."""
    assert (await client.get("/api/spartacus/party-time/")).status_code == 200
    stream = await client.get("/spartacus/party-time/stream.mp3")
    assert stream.status_code == 200 and stream.content == STREAM
    assert (await client.get("/spartacus/party-time/peaks.json")).status_code == 200


@pytest.mark.parametrize("climb", CLIMBS)
async def test_api_paths_that_climb_are_not_found(client, world, climb):
    for path in (
        f"/api/{climb}/",
        f"/api/spartacus/{climb}/",
        f"/api/{climb}/party-time/",
        f"/api/spartacus/{climb}/embed-json/",
        f"/api/{climb}/{climb}/etc/passwd/",
        f"/api/genres/{climb}/",
        f"/api/spartacus/playlists/{climb}/",
    ):
        response = await client.get(path)
        assert_no_secret(response)
        # A request path the router cannot take is 404; a parameter the API refuses is 400.
        assert response.status_code in (400, 404), (path, response.status_code)
        kind = {404: "ResourceNotFoundException", 400: "InvalidParameterException"}
        assert_api_error(response, status=response.status_code, type=kind[response.status_code])


# ------------------------------------------------------------------ the site's paths


@pytest.mark.parametrize("climb", CLIMBS)
async def test_site_paths_that_climb_are_not_found(client, world, climb):
    for path in (
        f"/{climb}/",
        f"/spartacus/{climb}/",
        f"/{climb}/party-time/",
        f"/spartacus/{climb}/stream.mp3",
        f"/{climb}/party-time/stream.mp3",
        f"/spartacus/{climb}/peaks.json",
        f"/{climb}/{climb}/secret",
        f"/media/pictures/{climb}/320x320.jpg",
        f"/media/pictures/default-profile/{climb}",
        f"/media/pictures/{climb}/{climb}/secret.jpg",
        f"/media/css/{climb}",
        f"/widget/iframe/?feed=/spartacus/{climb}/",
        f"/oembed?url=http://testserver/spartacus/{climb}/",
    ):
        response = await client.get(path)
        assert_no_secret(response)
        assert response.status_code in (400, 404), (path, response.status_code)


async def test_literal_dot_segments_never_leave_storage(services, world):
    """``/../`` sent as it is (curl --path-as-is), which clients normalising URLs never send."""
    stream_status, stream = await asgi_get(services, b"/spartacus/party-time/stream.mp3")
    assert (stream_status, stream) == (200, STREAM)  # the helper reaches the real route
    for raw in (
        b"/media/pictures/../../secret",
        b"/media/pictures/default-profile/../../../secret.jpg",
        b"/media/pictures/../../../secret.jpg",
        b"/spartacus/../../secret",
        b"/spartacus/party-time/../../../secret/stream.mp3",
        b"/../../../../../../etc/passwd",
        b"/api/../../secret",
        b"/api/spartacus/../../../secret/",
        b"/media/pictures/..\\..\\secret.jpg",
        b"/spartacus/..\\..\\secret/stream.mp3",
    ):
        status, body = await asgi_get(services, raw)
        assert status in (400, 404), (raw, status)
        assert b"root:x" not in body and STREAM not in body, raw


async def test_pictures_are_served_only_from_their_own_folder(client, world):
    picture = (await client.get("/api/spartacus/")).json()["pictures"]["medium"]
    path = picture.removeprefix("http://testserver")
    assert (await client.get(path)).status_code == 200  # a real rendition is served
    folder, name = path.rsplit("/", 2)[-2:]
    for bad in (
        f"{folder}/..%2F..%2Fsecret.jpg",
        f"..%2F{name}",
        f"{folder}/%2e%2e",
        f"{folder}%00/{name}",
        f"{folder}/{name}%00.jpg",
        f"{folder}/{quote('../')}{name}",
    ):
        response = await client.get(f"/media/pictures/{bad}")
        assert response.status_code == 404, bad
        assert_no_secret(response)


# ------------------------------------------------------------------ upload file names


HOSTILE_NAMES = [
    "../../../../../../tmp/{tag}.mp3",
    "/tmp/{tag}.mp3",
    "..\\..\\..\\{tag}.mp3",
    "%2e%2e%2f%2e%2e%2f{tag}.mp3",
    "{tag}\x00.mp3",
]


@pytest.mark.parametrize("template", HOSTILE_NAMES)
async def test_upload_file_names_are_never_paths(client, services, world, tmp_path, template):
    tag = "pwned-" + secrets.token_hex(4)
    name = template.format(tag=tag)
    mp3 = audio_file(tmp_path, seconds=2.0)
    files = {
        "mp3": (name, mp3.read_bytes(), "audio/mpeg"),
        "picture": (name.replace(".mp3", ".png"), picture_bytes(), "image/png"),
    }
    before = set(stored_keys(services))
    response = await client.post(
        "/api/upload/", params={"access_token": world["token"]},
        data={"name": "Climbing " + tag}, files=files,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["result"]["success"] is True
    keys = sorted(set(stored_keys(services)) - before)  # the storage folder is the run's
    assert len(keys) == 2, keys
    assert keys[0].startswith("originals/") and keys[0].endswith((".audio", ".picture"))
    assert keys[1].startswith("originals/") and keys[1].endswith((".audio", ".picture"))
    assert not any(tag in key for key in stored_keys(services))
    # Where the names point, and every folder the app writes to: nothing carries the name.
    root, data = world["root"], services.settings.data_dir
    for folder in (Path("/tmp"), Path("/"), root.parent, root.parent.parent, data.parent):
        assert not list(folder.glob(f"*{tag}*")), folder
    for folder in (root, data):
        assert not [p for p in folder.rglob(f"*{tag}*") if p.is_file()], folder


# ------------------------------------------------------------------ storage keys

BAD_KEYS = [
    "",
    ".",
    "..",
    "../secret",
    "a/../../secret",
    "a/..",
    "/etc/passwd",
    "//etc/passwd",
    "a//b",
    "a/./b",
    "a/",
    ".hidden",
    "a/.tmp-x",
    "a\\..\\..\\secret",
    "..\\secret",
    "a\x00b",
    "a/b\x00",
    "%2e%2e/secret",
    "a b",
    "a\nb",
    "ü/x",
    "x" * 129,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_the_file_store_refuses_keys_that_leave_its_root(tmp_path, key):
    root = tmp_path / "store"
    store = LocalStore(root)
    (tmp_path / "secret").write_bytes(SECRET)
    source = tmp_path / "source.bin"
    source.write_bytes(b"data")
    attempts: list[Callable[[], object]] = [
        lambda: store.put_bytes(key, b"data"),
        lambda: store.get_bytes(key),
        lambda: store.put_file(key, source),
        lambda: store.put_file(key, source, move=True),
        lambda: store.get_file(key, tmp_path / "out.bin"),
        lambda: store.exists(key),
        lambda: store.size(key),
        lambda: store.delete(key),
        lambda: store.local_path(key),
        lambda: store.url_for(key),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidKey):
            attempt()
    if key not in ("", "a/"):  # prefixes: "" lists everything, "a/" is the folder a
        with pytest.raises(InvalidKey):
            list(store.list(key))
    if key != "a/":
        with pytest.raises(InvalidKey):
            store.delete_prefix(key)
    assert (tmp_path / "secret").read_bytes() == SECRET
    assert source.read_bytes() == b"data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret", "source.bin", "store"]
    assert list(root.rglob("*")) == []


def test_the_file_store_keeps_good_keys_inside_its_root(tmp_path):
    store = LocalStore(tmp_path / "store")
    for key in ("a", "b/c.d", "pictures/0123abcd/320x320.jpg", "a-b/c_d/e.f.g", "x" * 128):
        store.put_bytes(key, b"ok")
        path = store.local_path(key)
        assert path is not None and path.resolve().is_relative_to((tmp_path / "store").resolve())
        assert store.get_bytes(key) == b"ok"
    assert [info.key for info in store.list("")][:3] == ["a", "a-b/c_d/e.f.g", "b/c.d"]
