"""Hostile transport: oversize and truncated multipart bodies, wrong content types, bodies that
lie about themselves, huge headers and query strings.

Every answer is a clear 4xx: in the API's error shape when the API answers, or the HTTP
server's plain refusal for what never reaches the app (a request line it cannot parse). Never a
5xx, nothing left behind (no temporary ``.part`` file, no show row, no stored blob), and the
next request is served.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from mixcast.app import MixcastApp
from mixcast.db.database import Query
from mixcast.db.urls import DatabaseURL
from mixcast.services import Services, open_services
from tests.api.uploading import (
    audio_file,
    leftover_temp_files,
    picture_bytes,
    show_count,
    stored_keys,
)
from tests.conftest import make_settings
from tests.factories import make_show, make_token, make_user
from tests.servers import serving

pytestmark = pytest.mark.anyio

B = "hostileboundary"
MULTIPART = f"multipart/form-data; boundary={B}"
MIB = 1024 * 1024
VALIDATION = "FormValidationError"


def part(
    name: str | bytes,
    value: bytes,
    filename: str | None = None,
    content_type: str | None = None,
    boundary: str = B,
) -> bytes:
    raw_name = name if isinstance(name, bytes) else name.encode()
    disposition = b'Content-Disposition: form-data; name="' + raw_name + b'"'
    if filename is not None:
        disposition += f'; filename="{filename}"'.encode()
    headers = disposition + b"\r\n"
    if content_type is not None:
        headers += f"Content-Type: {content_type}\r\n".encode()
    return f"--{boundary}\r\n".encode() + headers + b"\r\n" + value + b"\r\n"


def closing(boundary: str = B) -> bytes:
    return f"--{boundary}--\r\n".encode()


NAME = part("name", b"Hostile")
MP3_HEAD = part("mp3", b"", "a.mp3", "audio/mpeg")[: -len(b"\r\n")]  # headers, then the bytes


@dataclass
class Uploader:
    token: str
    services: Services
    client: httpx.AsyncClient

    async def post(
        self,
        body: bytes,
        content_type: str | None = MULTIPART,
        path: str = "/api/upload/",
        **headers: str,
    ) -> httpx.Response:
        sent = {"Authorization": f"Bearer {self.token}", **headers}
        if content_type is not None:
            sent["Content-Type"] = content_type
        return await self.client.post(path, content=body, headers=sent)


@pytest.fixture
async def uploader(services: Services, client: httpx.AsyncClient) -> Uploader:
    user = await make_user(services, "spartacus", is_pro=True)
    return Uploader(await make_token(services, user), services, client)


@dataclass(frozen=True)
class Leftovers:
    shows: int
    blobs: list[str]
    temp_files: list[Path]


async def leftovers(services: Services) -> Leftovers:
    return Leftovers(
        await show_count(services), stored_keys(services), leftover_temp_files(services)
    )


def assert_error_shape(response: httpx.Response, status: int, type: str) -> dict[str, Any]:
    """The API's error shape; a form's errors add ``details`` (docs/api.md, Uploads)."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["access-control-allow-origin"] == "*"
    body: dict[str, Any] = response.json()
    assert set(body) in ({"error"}, {"error", "details"}), body
    assert body["error"]["type"] == type, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


async def assert_refused(
    uploader: Uploader,
    response: httpx.Response,
    before: Leftovers,
    status: int,
    fields: set[str] | None = None,
    type: str = VALIDATION,
) -> dict[str, Any]:
    """A 4xx in the API's error shape (``details`` naming ``fields``), nothing kept, and the
    next request served."""
    body = assert_error_shape(response, status, type)
    if fields is not None:
        assert set(body["details"]) == fields, body
    assert await leftovers(uploader.services) == before
    assert leftover_temp_files(uploader.services) == []
    after = await uploader.client.get("/api/spartacus/")
    assert after.status_code == 200, after.text
    return body


# ------------------------------------------------------------------ truncated and malformed


TRUNCATED = {
    "ends mid-headers": f"--{B}\r\nContent-Disposition: form-da".encode(),
    "ends mid-text-part": part("name", b"Hostile")[: -len(b"tile\r\n")],
    "ends mid-file-part": NAME + MP3_HEAD + b"\xff\xfb" * 50_000,
    "no final boundary": NAME + part("description", b"no end"),
    "a delimiter but no closing --": NAME + f"--{B}\r\n".encode(),
    "the boundary never appears": b"name=Hostile&description=plain",
    "another boundary": part("name", b"Hostile", boundary="other") + closing("other"),
    "empty body": b"",
}


@pytest.mark.parametrize("body", TRUNCATED.values(), ids=TRUNCATED.keys())
async def test_truncated_and_malformed_bodies_are_a_400(uploader, body):
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    await assert_refused(uploader, response, before, 400, {"__all__"})


async def test_a_boundary_longer_than_the_parser_takes_is_not_multipart(uploader):
    boundary = "b" * 1000  # RFC 2046 allows 70; the parser goes to 256
    body = part("name", b"Hostile", boundary=boundary) + closing(boundary)
    before = await leftovers(uploader.services)
    response = await uploader.post(body, f"multipart/form-data; boundary={boundary}")
    message = (await assert_refused(uploader, response, before, 400, {"__all__"}))["details"]
    assert "multipart/form-data" in message["__all__"][0]


async def test_a_boundary_over_rfc_2046s_70_characters_is_read_like_any_other(uploader):
    """Over 70 (RFC 2046) but within the parser's 256: read, so the answer is about the form's
    content (the missing mp3), not a 5xx or a parse failure."""
    boundary = "b" * 200
    body = part("name", b"Hostile", boundary=boundary) + closing(boundary)
    before = await leftovers(uploader.services)
    response = await uploader.post(body, f"multipart/form-data; boundary={boundary}")
    await assert_refused(uploader, response, before, 400, {"mp3"})


# ------------------------------------------------------------------ oversize


async def test_a_part_header_line_megabytes_long_is_a_413(uploader):
    long_header = b'Content-Disposition: form-data; name="name"; x="' + b"a" * (2 * MIB) + b'"'
    body = f"--{B}\r\n".encode() + long_header + b"\r\n\r\nHostile\r\n" + closing()
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    details = (await assert_refused(uploader, response, before, 413))["details"]
    assert "headers are longer" in next(iter(details.values()))[0]


async def test_a_header_name_megabytes_long_is_a_413(uploader):
    body = f"--{B}\r\nX-".encode() + b"a" * (2 * MIB) + b": v\r\n\r\nvalue\r\n" + closing()
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    await assert_refused(uploader, response, before, 413)


async def test_a_part_with_a_thousand_headers_is_refused(uploader):
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(1000))
    body = (
        f'--{B}\r\nContent-Disposition: form-data; name="name"\r\n'.encode()
        + headers
        + b"\r\nHostile\r\n"
        + closing()
    )
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    await assert_refused(uploader, response, before, 413)


async def test_thousands_of_tiny_fields_are_a_413(uploader):
    body = b"".join(part(f"f{i}", b"x") for i in range(5000)) + closing()
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    details = (await assert_refused(uploader, response, before, 413, {"__all__"}))["details"]
    assert "200 text fields" in details["__all__"][0]


async def test_thousands_of_empty_file_parts_cost_nothing_and_change_nothing(uploader):
    """ "No file chosen" parts are not fields: many of them are read and dropped, quickly."""
    body = NAME + b"".join(part("junk", b"", "") for _ in range(20_000)) + closing()
    before = await leftovers(uploader.services)
    started = time.monotonic()
    response = await uploader.post(body)
    assert time.monotonic() - started < 5
    await assert_refused(uploader, response, before, 400, {"mp3"})


async def test_thousands_of_file_parts_in_one_field_are_refused_at_the_second(uploader):
    files = b"".join(part("picture", b"x", f"p{i}.png", "image/png") for i in range(5000))
    before = await leftovers(uploader.services)
    response = await uploader.post(NAME + files + closing())
    await assert_refused(uploader, response, before, 400, {"picture"})


async def test_a_text_value_over_its_limit_is_a_413(uploader):
    body = part("description", b"d" * (64 * 1024 + 1)) + closing()
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    await assert_refused(uploader, response, before, 413, {"description"})


async def test_a_picture_over_its_limit_is_a_413_and_its_partial_file_is_gone(uploader):
    png = picture_bytes()
    oversize = png + b"\0" * (10 * MIB + 1 - len(png))
    body = NAME + part("picture", oversize, "big.png", "image/png") + closing()
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    details = (await assert_refused(uploader, response, before, 413, {"picture"}))["details"]
    assert "10485760" in details["picture"][0]


async def test_a_picture_over_its_limit_on_the_edit_endpoint_is_a_413(uploader, services):
    user = await make_user(services, "crixus")
    await make_show(services, user, "Kept")
    uploader.token = await make_token(services, user)
    oversize = b"\x89PNG" + b"\0" * (10 * MIB)
    body = part("picture", oversize, "big.png", "image/png") + closing()
    before = await leftovers(services)
    response = await uploader.post(body, path="/api/upload/crixus/kept/edit/")
    await assert_refused(uploader, response, before, 413, {"picture"})


# ------------------------------------------------------------------ not UTF-8


async def test_a_field_name_that_is_not_utf8_is_a_400(uploader):
    body = part(b"na\xffme", b"Hostile") + closing()
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    details = (await assert_refused(uploader, response, before, 400, {"__all__"}))["details"]
    assert "UTF-8" in details["__all__"][0]


async def test_a_value_that_is_not_utf8_is_a_400_naming_its_field(uploader):
    body = part("name", b"Hos\xfe\xfftile") + closing()
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    await assert_refused(uploader, response, before, 400, {"name"})


# ------------------------------------------------------------------ wrong content types

WRONG_TYPES = {
    "json": ("application/json", b'{"name": "Hostile"}'),
    "text/plain": ("text/plain", b"name=Hostile"),
    "multipart without a boundary": ("multipart/form-data", NAME + closing()),
    "multipart with an empty boundary": ("multipart/form-data; boundary=", NAME + closing()),
    "multipart/mixed": (f"multipart/mixed; boundary={B}", NAME + closing()),
    "form-urlencoded": ("application/x-www-form-urlencoded", b"name=Hostile"),
    "no content type": (None, NAME + closing()),
}


@pytest.mark.parametrize(("content_type", "body"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
async def test_an_upload_that_is_not_multipart_form_data_is_a_400(uploader, content_type, body):
    before = await leftovers(uploader.services)
    response = await uploader.post(body, content_type)
    details = (await assert_refused(uploader, response, before, 400, {"__all__"}))["details"]
    assert "multipart/form-data" in details["__all__"][0]


async def test_json_to_the_edit_endpoint_is_a_400(uploader, services):
    await make_show(services, await _uploader_id(services), "Kept")
    before = await leftovers(services)
    response = await uploader.post(
        b'{"name": "Renamed"}', "application/json", path="/api/upload/spartacus/kept/edit/"
    )
    await assert_refused(uploader, response, before, 400, {"__all__"})
    show = await uploader.client.get("/api/spartacus/kept/")
    assert show.json()["name"] == "Kept"


async def _uploader_id(services: Services) -> int:
    value: int = await services.db.fetch_value(
        Query("SELECT id FROM users WHERE username = 'spartacus'")
    )
    return value


async def test_json_to_the_token_endpoint_is_an_oauth_error(client):
    response = await client.post(
        "/oauth/access_token",
        content=b'{"client_id": "x", "code": "y", "client_secret": "z"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


async def test_json_to_a_site_form_is_refused_and_changes_nothing(client, services):
    await client.get("/signin/")  # the CSRF cookie, whose token a JSON body cannot carry
    token = client.cookies["mixcast_csrf"]
    response = await client.post(
        "/signup/",
        content=b'{"username": "jsonly", "email": "j@example.com", "password": "long enough"'
        b', "csrf_token": "' + token.encode() + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 403, response.text
    users = await services.db.fetch_value(Query("SELECT COUNT(*) FROM users"))
    assert users == 0


@pytest.fixture(scope="module")
def short_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return audio_file(tmp_path_factory.mktemp("hostile-audio"), seconds=2.0)


async def test_a_picture_that_is_really_text_is_a_400(uploader, short_mp3):
    body = (
        NAME
        + part("mp3", short_mp3.read_bytes(), "a.mp3", "audio/mpeg")
        + part("picture", b"this is not a picture\n" * 100, "cover.png", "image/png")
        + closing()
    )
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    await assert_refused(uploader, response, before, 400, {"picture"})


async def test_audio_that_is_really_a_png_is_a_400(uploader):
    body = NAME + part("mp3", picture_bytes(size=256), "a.mp3", "audio/mpeg") + closing()
    before = await leftovers(uploader.services)
    response = await uploader.post(body)
    await assert_refused(uploader, response, before, 400, {"mp3"})


# ------------------------------------------------------------------ site forms, token endpoint

SITE_BODIES = {
    # Starlette's parser keeps the parts that were complete: the form then lacks its token.
    "truncated multipart": (MULTIPART, NAME[:-10], 403),
    "multipart without its closing boundary": (MULTIPART, NAME, 403),
    "multipart without a boundary": ("multipart/form-data", NAME + closing(), 400),
    "a 1000-character boundary": (
        "multipart/form-data; boundary=" + "b" * 1000,
        part("login", b"x", boundary="b" * 1000) + closing("b" * 1000),
        400,
    ),
    "a megabyte-long part header": (
        MULTIPART,
        f'--{B}\r\nContent-Disposition: form-data; name="login"; x="'.encode()
        + b"a" * MIB
        + b'"\r\n\r\nx\r\n'
        + closing(),
        400,
    ),
    "5,000 url-encoded fields": (
        "application/x-www-form-urlencoded",
        "&".join(f"f{i}=x" for i in range(5000)).encode(),
        400,
    ),
    "5,000 multipart fields": (
        MULTIPART,
        b"".join(part(f"f{i}", b"x") for i in range(5000)) + closing(),
        400,
    ),
    "three files": (
        MULTIPART,
        b"".join(part(f"f{i}", b"x", f"{i}.png", "image/png") for i in range(3)) + closing(),
        400,
    ),
    "a text field over 10 MiB": (MULTIPART, part("login", b"x" * (10 * MIB + 1)) + closing(), 400),
    "a body over the 21 MiB cap": (
        MULTIPART,
        part("f", b"x" * (22 * MIB), "f.png") + closing(),
        413,
    ),
}


@pytest.mark.parametrize(
    ("content_type", "body", "status"), SITE_BODIES.values(), ids=SITE_BODIES.keys()
)
async def test_a_site_form_that_cannot_be_read_is_a_clear_4xx(client, content_type, body, status):
    response = await client.post("/signin/", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert (await client.get("/signin/")).status_code == 200


async def test_a_site_form_declaring_a_huge_body_is_refused_unread(client):
    async def endless() -> AsyncIterator[bytes]:
        yield b"login=x"
        raise AssertionError("the body was read")

    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(2**40)}
    response = await client.post("/signin/", content=endless(), headers=headers)
    assert response.status_code == 413, response.text[:300]


async def test_a_chunked_site_form_over_the_cap_is_cut_off(client):
    async def chunks() -> AsyncIterator[bytes]:
        yield part("f", b"", "f.png")[: -len(b"\r\n")]  # a file part's headers
        for _ in range(23):
            yield b"x" * MIB

    headers = {"Content-Type": MULTIPART}
    response = await client.post("/signin/", content=chunks(), headers=headers)
    assert response.status_code == 413, response.text[:300]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (MULTIPART, NAME[:-10]),
        ("multipart/form-data", NAME),
        (MULTIPART, part("code", b"x" * 10_000) + closing()),
        (MULTIPART, part("code", b"x", "code.txt") + closing()),
        (MULTIPART, b"".join(part(f"f{i}", b"x") for i in range(100)) + closing()),
    ],
    ids=["truncated", "no boundary", "a field over 8 KB", "a file", "100 fields"],
)
async def test_a_token_request_that_cannot_be_read_is_an_oauth_error(client, content_type, body):
    response = await client.post(
        "/oauth/access_token", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400, response.text[:300]
    # Unreadable, or read as far as it was whole: then it names no client.
    assert response.json()["error"] in ("invalid_request", "invalid_client"), response.text


# ------------------------------------------------------------------ huge query strings

HUGE = "a" * 100_000
REPEATED = "&".join(["limit=1"] * 5000)
QUERIES = {
    "list, 100 KB unknown parameter": f"/api/new/?x={HUGE}",
    "list, 100 KB since": f"/api/new/?since={HUGE}",
    "search, 100 KB q": f"/api/search/?type=cloudcast&q={HUGE}",
    "search, 100 KB of spaces": "/api/search/?type=user&q=" + "+" * 100_000,
    "list, 5000 limit parameters": f"/api/new/?{REPEATED}",
    "search, 5000 q parameters": "/api/search/?type=cloudcast&" + "&".join(["q=a"] * 5000),
    "object, 5000 metadata parameters": "/api/spartacus/?" + "&".join(["metadata=1"] * 5000),
    "site list, 100 KB page": f"/popular/?until={HUGE}",
}


async def asgi_call(
    services: Services,
    target: str,
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    messages: list[dict[str, Any]] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A request straight to the app: httpx refuses URLs over 64 KiB (the app must not rely
    on a server having done so) and cannot make a client leave mid-body (``messages``: the
    body as it arrives, then ``http.disconnect``)."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    arriving = list(messages or [{"type": "http.request", "body": b"", "more_body": False}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return arriving.pop(0) if arriving else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await MixcastApp(services.settings, services)(scope, receive, send)
    start = sent[0]
    answer_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], answer_headers, b"".join(m.get("body", b"") for m in sent[1:])


GONE_MID_BODY = {
    "sign-in, url-encoded": ("/signin/", "application/x-www-form-urlencoded", b"login=spar"),
    "sign-in, multipart": ("/signin/", MULTIPART, NAME + MP3_HEAD + b"x" * 1000),
    "token exchange": ("/oauth/access_token", "application/x-www-form-urlencoded", b"code=ab"),
    "token exchange, multipart": ("/oauth/access_token", MULTIPART, NAME[:30]),
    "upload": ("/api/upload/", MULTIPART, NAME + MP3_HEAD + b"x" * 1000),
}


@pytest.mark.parametrize(
    ("path", "content_type", "body"), GONE_MID_BODY.values(), ids=GONE_MID_BODY.keys()
)
async def test_a_client_gone_mid_body_is_no_server_error(uploader, path, content_type, body):
    """Answered (to nobody) with a 4xx, never an exception out of the app, which the server
    would log as an error with its traceback."""
    before = await leftovers(uploader.services)
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", b"100000"),
        (b"authorization", f"Bearer {uploader.token}".encode()),
    ]
    messages = [{"type": "http.request", "body": body, "more_body": True}]
    status, _, _ = await asgi_call(uploader.services, path, "POST", headers, messages)
    assert 400 <= status < 500
    assert await leftovers(uploader.services) == before


@pytest.mark.parametrize("target", QUERIES.values(), ids=QUERIES.keys())
async def test_huge_query_strings_are_answered_never_a_5xx(client, services, target):
    await make_user(services, "spartacus")
    started = time.monotonic()
    status, headers, body = await asgi_call(services, target)
    assert time.monotonic() - started < 5
    assert status < 500, body[:500]
    if status >= 400 and target.startswith("/api/"):
        assert headers["access-control-allow-origin"] == "*"
        error = orjson.loads(body)
        assert set(error) == {"error"} and error["error"]["message"], error
        assert HUGE.encode() not in body  # an error names the parameter, not echoes it
    assert (await client.get("/api/spartacus/")).status_code == 200


# ------------------------------------------------------------------ a real server


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {"MIXCAST_DATABASE_URL": database_url, "MIXCAST_DATA_DIR": str(data_dir)}


def exchange(base: str, request: bytes, *, half_close: bool = False) -> bytes:
    """Send ``request`` on a new connection; everything the server answers before closing
    (or before 5 s of silence)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
        return answer


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer[9:12])


def upload_request(token: str, body: bytes, declared: int) -> bytes:
    return (
        "POST /api/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: {MULTIPART}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode() + body


def still_serving(base: str) -> None:
    response = httpx.get(base + "/api/new/", timeout=5)
    assert response.status_code == 200, response.text


@dataclass(frozen=True)
class RealServer:
    base: str
    database_url: str
    data_dir: Path

    async def token(self) -> tuple[int, str]:
        """A new Pro user's id and token in the server's database (made here: on PostgreSQL
        another test's ``services`` may have emptied the tables since the server started)."""
        async with self.services() as services:
            user = await make_user(services, "u" + secrets.token_hex(6), is_pro=True)
            return user, await make_token(services, user)

    async def shows_of(self, user: int) -> int:
        async with self.services() as services:
            count: int = await services.db.fetch_value(
                Query("SELECT COUNT(*) FROM shows WHERE owner_id = :user"), {"user": user}
            )
            return count

    @asynccontextmanager
    async def services(self) -> AsyncIterator[Services]:
        settings = make_settings(self.database_url, self.data_dir, self.data_dir / "media")
        services = await open_services(settings)
        try:
            yield services
        finally:
            await services.close()


@pytest.fixture(scope="module")
def real_server(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """One real ``mixcast serve`` for the module's protocol-level tests."""
    data_dir = tmp_path_factory.mktemp("hostile-server")
    database_url = template_db
    if template_db.startswith("sqlite:"):
        database_url = f"sqlite:///{data_dir / 'server.db'}"
        shutil.copyfile(DatabaseURL.parse(template_db).sqlite_path, data_dir / "server.db")
    with serving(server_env(database_url, data_dir)) as served:
        yield RealServer(served.base, database_url, data_dir)


HEAD = "GET /api/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
HUGE_REQUESTS = {
    "a 100 KB header": f"{HEAD}X-Big: {'a' * 100_000}\r\n\r\n",
    "1,000 headers": HEAD + "".join(f"X-Header-{i}: value\r\n" for i in range(1000)) + "\r\n",
    "a 100 KB cookie": f"{HEAD}Cookie: mixcast_session={'a' * 100_000}\r\n\r\n",
    "a 100 KB bearer token": f"{HEAD}Authorization: Bearer {'a' * 100_000}\r\n\r\n",
    "a 100 KB query string": HEAD.replace("/ HTTP", f"/?x={HUGE} HTTP") + "\r\n",
    "a 100 KB search": HEAD.replace("/api/new/", f"/api/search/?type=cloudcast&q={HUGE}") + "\r\n",
    "4,000 repeated parameters": HEAD.replace("/ HTTP", f"/?{REPEATED[: 4000 * 8 - 1]} HTTP")
    + "\r\n",
}


@pytest.mark.integration
@pytest.mark.parametrize("request_text", HUGE_REQUESTS.values(), ids=HUGE_REQUESTS.keys())
def test_huge_headers_and_query_strings_never_bring_the_server_down(real_server, request_text):
    answer = exchange(real_server.base, request_text.encode())
    status = status_of(answer)
    assert status < 500, answer[:300]
    if status >= 400:  # the server's plain refusal, or the API's error shape
        assert b"application/json" not in answer or b'{"error":' in answer, answer[:300]
    still_serving(real_server.base)


# What mixcast serve refuses itself (mixcast/request_head.py), before the app sees a byte.
OVER_THE_LIMITS = {
    "a 100 KB header": (HUGE_REQUESTS["a 100 KB header"], 431),
    "a 100 KB cookie": (HUGE_REQUESTS["a 100 KB cookie"], 431),
    "1,000 headers": (HUGE_REQUESTS["1,000 headers"], 431),
    "a 100 KB request line": (HUGE_REQUESTS["a 100 KB query string"], 414),
}


@pytest.mark.integration
@pytest.mark.parametrize(("request_text", "status"), OVER_THE_LIMITS.values(), ids=OVER_THE_LIMITS)
def test_a_request_head_over_the_limits_is_refused(real_server, request_text, status):
    answer = exchange(real_server.base, request_text.encode())
    assert status_of(answer) == status, answer[:300]
    assert b"connection: close" in answer.lower()
    still_serving(real_server.base)


@pytest.mark.integration
def test_an_endless_header_is_cut_off_early(real_server):
    host, port = real_server.base.removeprefix("http://").split(":")
    sent, endless = 0, 50_000_000
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"{HEAD}X-Big: ".encode())
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            while sent < endless:
                sock.sendall(b"a" * 65536)
                sent += 65536
    assert sent < endless / 5  # the server hung up long before (only socket buffers took more)
    still_serving(real_server.base)


@pytest.mark.integration
def test_a_large_but_ordinary_head_is_served(real_server):
    # 90 headers and 40 KB of cookies: under the limits, as a browser's might be.
    fields = "".join(f"X-Header-{i}: value\r\n" for i in range(90))
    request = f"{HEAD}{fields}Cookie: other={'a' * 40_000}\r\n\r\n"
    assert status_of(exchange(real_server.base, request.encode())) == 200


@pytest.fixture
async def served_token(services: Services) -> str:
    return await make_token(services, await make_user(services, "spartacus", is_pro=True))


@pytest.mark.integration
async def test_a_content_length_that_lies_is_refused_and_leaves_nothing(real_server):
    served = real_server
    user, served_token = await served.token()
    body = NAME + MP3_HEAD + b"\xff\xfb" * 50_000 + b"\r\n" + closing()
    # Shorter than the body: the body ends mid-part (a 400 the app may not get to send,
    # since the rest is no request at all: the server's plain 400 then), never a 5xx.
    answer = exchange(served.base, upload_request(served_token, body, len(body) - 200))
    assert 400 <= status_of(answer) < 500, answer[:300]
    still_serving(served.base)
    # Longer than the body, the client then gone: nobody to answer, nothing kept.
    truncated = body[: len(body) // 2]
    answer = exchange(
        served.base, upload_request(served_token, truncated, len(body)), half_close=True
    )
    assert answer == b"" or 400 <= status_of(answer) < 500, answer[:300]
    still_serving(served.base)
    # Longer than a body that is complete: the closing boundary ends the form.
    answer = exchange(served.base, upload_request(served_token, NAME + closing(), 10_000))
    assert status_of(answer) == 400 and b'"mp3"' in answer, answer[:500]
    # A declared length beyond every limit: refused unread.
    answer = exchange(served.base, upload_request(served_token, b"", 10 * 1024**4))
    assert status_of(answer) == 413 and VALIDATION.encode() in answer, answer[:500]
    still_serving(served.base)
    # A site form and the token exchange, the client gone mid-body: no error logged
    # (``serving`` fails the module on a traceback in the server's output).
    for path in ("/signin/", "/oauth/access_token"):
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\nlogin=x"
        )
        exchange(served.base, request.encode(), half_close=True)
        still_serving(served.base)
    assert await served.shows_of(user) == 0
    assert not list((served.data_dir / "tmp").rglob("*.part"))
    assert not list((served.data_dir / "media").rglob("originals/**/*.*"))
