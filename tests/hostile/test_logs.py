"""Tokens in logs: none. A real ``mixcast serve --access-log`` is driven through everything that
carries a credential (a Bearer token, ``?access_token=``, sign-in with a password, the session
cookie, the OAuth code exchange with its secret, code and PKCE verifier, an upload with a
token) and through the error paths (invalid tokens, a replayed code, a wrong secret, the
``oauth`` rate limit, a client gone mid-upload); then the process's whole output must hold
none of the secrets, while it does hold the requests' log lines. In-process, the same flows
under ``caplog`` log no secret either.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mixcast.accounts.passwords import hash_password
from mixcast.app import MixcastApp
from mixcast.logs import REDACTED, redact
from mixcast.services import Services
from tests.api.uploading import audio_file
from tests.factories import make_app, make_token, make_user
from tests.servers import serving

pytestmark = pytest.mark.anyio

GOOD = "https://good.example.com/cb"
PASSWORD = "correct horse battery " + "x" * 8
WRONG_PASSWORD = "wrong horse battery staple"
B = "logboundary"


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class Secrets:
    """Every credential the exercise sends or receives, to be found in no log line."""

    values: dict[str, str] = field(default_factory=dict)

    def add(self, what: str, value: str) -> str:
        assert len(value) >= 16, (what, value)  # long enough not to match by chance
        self.values[what] = value
        return value

    def found_in(self, output: str) -> list[str]:
        return [what for what, value in self.values.items() if value in output]


@dataclass
class Setup:
    token: str
    client_id: str
    client_secret: str


async def setup(services: Services, secrets_: Secrets) -> Setup:
    user = await make_user(services, "spartacus", is_pro=True, password_hash=password_hash())
    varro = await make_user(services, "varro")
    app = await make_app(services, varro, redirect_uris=(GOOD,))
    secrets_.add("password", PASSWORD)
    secrets_.add("wrong password", WRONG_PASSWORD)
    return Setup(
        token=secrets_.add("access token", await make_token(services, user)),
        client_id=app.app.client_id,
        client_secret=secrets_.add("client secret", app.client_secret),
    )


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def multipart(fields: dict[str, str], mp3: bytes | None) -> bytes:
    body = b""
    for name, value in fields.items():
        body += (
            f'--{B}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    if mp3 is not None:
        body += (
            (
                f'--{B}\r\nContent-Disposition: form-data; name="mp3"; filename="a.mp3"\r\n'
                "Content-Type: audio/mpeg\r\n\r\n"
            ).encode()
            + mp3
            + b"\r\n"
        )
    return body + f"--{B}--\r\n".encode()


Statuses = dict[str, int]


async def exercise(
    http: httpx.AsyncClient,
    s: Setup,
    secrets_: Secrets,
    mp3: bytes,
    gone_mid_upload: Callable[[str], None] | None = None,
) -> Statuses:
    """Everything that carries a credential, against ``http``; the statuses by step, so the
    test can tell each step really happened."""
    seen: Statuses = {}

    async def step(what: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = await http.request(method, url, **kwargs)
        seen[what] = response.status_code
        return response

    bearer = {"Authorization": f"Bearer {s.token}"}
    await step("bearer", "GET", "/api/me/", headers=bearer)
    await step("query token", "GET", "/api/me/", params={"access_token": s.token})
    await step("encoded name", "GET", f"/api/me/?access%5Ftoken={s.token}")
    await step("upper-case name", "GET", f"/api/me/?ACCESS_TOKEN={s.token}")
    await step("after ;", "GET", f"/api/me/?metadata=1;access_token={s.token}")
    invalid = secrets_.add("invalid token", secrets.token_urlsafe(32))
    await step("invalid query token", "GET", "/api/me/", params={"access_token": invalid})
    await step("invalid bearer", "GET", "/api/me/", headers={"Authorization": f"Bearer {invalid}"})
    await step("token on a 404", "GET", f"/api/nobody/?access_token={s.token}")

    # The site: sign in with the password (wrong, then right), then use the session cookie.
    await step("sign-in form", "GET", "/signin/")
    csrf = secrets_.add("csrf cookie", http.cookies["mixcast_csrf"])
    wrong = {"login": "spartacus", "password": WRONG_PASSWORD, "csrf_token": csrf}
    await step("wrong password", "POST", "/signin/", data=wrong)
    await step(
        "password in the query", "POST", "/signin/", params={"password": WRONG_PASSWORD}, data=wrong
    )
    right = {"login": "spartacus", "password": PASSWORD, "csrf_token": csrf}
    await step("sign in", "POST", "/signin/", data=right)
    secrets_.add("session cookie", http.cookies["mixcast_session"])
    await step("session cookie", "GET", "/settings/profile/")

    # OAuth: consent, then the code exchange (GET, as the docs show, and POST).
    code = secrets_.add("code", await authorize(http, s, csrf, {}))
    exchange = {"client_id": s.client_id, "redirect_uri": GOOD, "code": code}
    with_secret = {**exchange, "client_secret": s.client_secret}
    answer = await step("exchange", "GET", "/oauth/access_token", params=with_secret)
    if answer.status_code == 200:
        secrets_.add("issued token", answer.json()["access_token"])
    await step("replayed code", "GET", "/oauth/access_token", params=with_secret)
    wrong_secret = secrets_.add("wrong secret", secrets.token_urlsafe(32))
    forged = {**exchange, "client_secret": wrong_secret}
    await step("wrong secret", "POST", "/oauth/access_token", data=forged)
    verifier = secrets_.add("code verifier", secrets.token_urlsafe(48))
    challenge = {"code_challenge": s256(verifier), "code_challenge_method": "S256"}
    pkce_code = secrets_.add("PKCE code", await authorize(http, s, csrf, challenge))
    pkce = {"client_id": s.client_id, "redirect_uri": GOOD, "code": pkce_code}
    answer = await step(
        "PKCE exchange", "POST", "/oauth/access_token", params={**pkce, "code_verifier": verifier}
    )
    if answer.status_code == 200:
        secrets_.add("PKCE token", answer.json()["access_token"])
    for _ in range(12):  # on to the oauth rate limit, secrets in every request
        limited = await step("rate limited", "GET", "/oauth/access_token", params=with_secret)
        if "RateLimitException" in limited.text:  # Mixcloud's rate limit answer: 403
            break

    # Uploads with the token: refused (no audio), accepted, and abandoned mid-body.
    headers = {"Content-Type": f"multipart/form-data; boundary={B}"}
    no_audio = multipart({"name": "Logged"}, None)
    await step(
        "refused upload", "POST", "/api/upload/",
        params={"access_token": s.token}, content=no_audio, headers=headers,
    )  # fmt: skip
    body = multipart({"name": "Logged"}, mp3)
    await step(
        "upload", "POST", "/api/upload/", content=body, headers={**headers, **bearer}, timeout=30
    )
    if gone_mid_upload is not None:
        gone_mid_upload(s.token)
    await step("sign out", "POST", "/signout/", data={"csrf_token": csrf})
    return seen


async def authorize(http: httpx.AsyncClient, s: Setup, csrf: str, extra: dict[str, str]) -> str:
    params = {"client_id": s.client_id, "redirect_uri": GOOD, "state": "st", **extra}
    asked = await http.get("/oauth/authorize", params=params)
    assert asked.status_code == 200, asked.text[:300]
    decision = {**params, "decision": "allow", "csrf_token": csrf}
    allowed = await http.post("/oauth/authorize", data=decision)
    assert allowed.status_code == 303, allowed.text[:300]
    return parse_qs(urlsplit(allowed.headers["location"]).query)["code"][0]


def assert_every_step_happened(seen: Statuses) -> None:
    assert seen["bearer"] == seen["query token"] == 200, seen
    assert seen["invalid query token"] >= 400 and seen["invalid bearer"] >= 400, seen
    assert seen["wrong password"] == 400 and seen["sign in"] == 303, seen
    assert seen["session cookie"] == 200, seen
    assert seen["exchange"] == seen["PKCE exchange"] == 200, seen
    assert seen["replayed code"] == seen["wrong secret"] == 400, seen
    assert seen["rate limited"] == 403, sorted(seen.items())
    assert seen["refused upload"] == 400 and seen["upload"] == 200, seen
    assert all(status < 500 for status in seen.values()), seen


def leave_mid_upload(base: str) -> Callable[[str], None]:
    def gone(token: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        head = multipart({"name": "Gone"}, b"")[: -len(f"\r\n--{B}--\r\n")]
        request = (
            f"POST /api/upload/?access_token={token} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: multipart/form-data; boundary={B}\r\n"
            f"Content-Length: {len(head) + 10_000_000}\r\n\r\n"
        ).encode()
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(request + head + b"\xff" * 100_000)

    return gone


async def leave_mid_upload_in_process(services: Services, token: str) -> None:
    """An upload whose client goes away after part of the body, straight to the ASGI app."""
    head = multipart({"name": "Gone"}, b"")[: -len(f"\r\n--{B}--\r\n")]
    messages = [
        {"type": "http.request", "body": head + b"\xff" * 100_000, "more_body": True},
        {"type": "http.disconnect"},
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/upload/",
        "raw_path": b"/api/upload/",
        "query_string": f"access_token={token}".encode(),
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", f"multipart/form-data; boundary={B}".encode()),
            (b"content-length", b"10000000"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    await MixcastApp(services.settings, services)(scope, receive, send)


@pytest.fixture(scope="module")
def mp3(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return audio_file(tmp_path_factory.mktemp("log-audio"), seconds=2.0).read_bytes()


@pytest.mark.integration
async def test_the_access_log_holds_no_secret(database_url, tmp_path, services, mp3):
    found = Secrets()
    s = await setup(services, found)
    env = {
        "MIXCAST_DATABASE_URL": database_url,
        "MIXCAST_DATA_DIR": str(tmp_path),
        "MIXCAST_RATELIMIT_OAUTH": "8/minute",
    }
    with serving(env, "--access-log") as served:
        async with httpx.AsyncClient(base_url=served.base, timeout=10) as http:
            seen = await exercise(http, s, found, mp3, leave_mid_upload(served.base))
    output = served.output
    assert_every_step_happened(seen)
    # The log was on and recorded the requests, with the credentials blanked out.
    assert f'"GET /api/me/?access_token={REDACTED} HTTP/1.1" 200' in output, output[-3000:]
    assert f'"GET /oauth/access_token?client_id={s.client_id}&redirect_uri=' in output
    assert f'&code={REDACTED}&client_secret={REDACTED} HTTP/1.1" 403' in output
    assert "upload: the client went away" in output
    assert found.found_in(output) == [], output[-5000:]


async def test_the_app_logs_no_secret_in_process(client, services, caplog, mp3):
    """The app's own log records (no access log in-process), every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    found = Secrets()
    s = await setup(services, found)
    seen = await exercise(client, s, found, mp3)
    assert seen["exchange"] == 200 and seen["upload"] == 200, seen
    await leave_mid_upload_in_process(services, s.token)
    # The test's own client logs the URLs it fetches: only the app's records count here.
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    text = "\n".join(f"{r.name}: {r.getMessage()}" for r in records)
    assert "upload: the client went away mid-request" in text, text  # the log was captured
    assert found.found_in(text) == [], text[-5000:]


LINES = [
    "GET /api/me/?access_token=SECRET HTTP/1.1",
    "GET /api/me/?access%5Ftoken=SECRET HTTP/1.1",
    "GET /api/me/?access%5ftoken=SECRET HTTP/1.1",
    "GET /api/me/?%61ccess_token=SECRET HTTP/1.1",
    "GET /api/me/?ACCESS_TOKEN=SECRET HTTP/1.1",
    "GET /api/me/?x=1&access_token=SECRET&y=2 HTTP/1.1",
    "GET /api/me/?x=1;access_token=SECRET HTTP/1.1",
    "GET /oauth/access_token?code=SECRET&client_secret=SECRET&code_verifier=SECRET HTTP/1.1",
    "GET /oauth/access_token?client%5Fsecret=SECRET&%63ode=SECRET HTTP/1.1",
    "POST /signin/?password=SECRET HTTP/1.1",
    "Authorization: Bearer SECRET",
    "authorization: bearer SECRET",
]


@pytest.mark.parametrize("line", LINES)
def test_redaction_blanks_every_spelling_of_a_secret_parameter(line):
    """Starlette decodes parameter names (``access%5Ftoken`` is ``access_token`` to the API),
    so the log must blank them however they are spelled."""
    redacted = redact(line)
    assert "SECRET" not in redacted, redacted
    assert REDACTED in redacted
