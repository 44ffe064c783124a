"""Small security parts on their own: proxy trust, log redaction, redirect URI rules,
password hashing and the throttle (in memory and on the machine's real Redis)."""

from __future__ import annotations

import logging
import uuid

import pytest

from mixcast.accounts.passwords import WeakPassword, hash_password, verify_password
from mixcast.errors import ConfigError
from mixcast.logs import REDACTED, RedactSecrets, redact
from mixcast.oauth.apps import AppForm, check_app_form, parse_redirect_uris, redirect_uri_problem
from mixcast.oauth.grants import redirect_to
from mixcast.proxies import TrustedProxies
from mixcast.ratelimit import Throttle, open_limits_storage
from mixcast.settings import Settings


def scope(client: str, *headers: tuple[bytes, bytes]) -> dict:
    return {"type": "http", "scheme": "http", "client": (client, 1234), "headers": list(headers)}


PROXIES = TrustedProxies(
    Settings.from_env({"MIXCAST_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}).trusted_proxies
)


def test_a_trusted_proxy_sets_scheme_and_client():
    out = PROXIES.apply(
        scope(
            "10.1.2.3",
            (b"x-forwarded-proto", b"https"),
            (b"x-forwarded-for", b"198.51.100.7, 10.0.0.9"),
        )
    )
    assert out["scheme"] == "https"
    assert out["client"][0] == "198.51.100.7"  # the nearest hop that is not our proxy


def test_anyone_else_is_not_believed():
    original = scope(
        "198.51.100.7", (b"x-forwarded-proto", b"https"), (b"x-forwarded-for", b"1.2.3.4")
    )
    assert PROXIES.apply(original) is original


@pytest.mark.parametrize("proto", [b"gopher", b"", b"javascript"])
def test_junk_protocols_are_ignored(proto):
    assert PROXIES.apply(scope("10.0.0.1", (b"x-forwarded-proto", proto)))["scheme"] == "http"


def test_trusted_proxies_setting_is_checked():
    with pytest.raises(ConfigError):
        Settings.from_env({"MIXCAST_TRUSTED_PROXIES": "not-an-address"})
    with pytest.raises(ConfigError):
        Settings.from_env({"MIXCAST_SIGNIN_LIMIT": "lots"})


@pytest.mark.parametrize(
    "line",
    [
        '127.0.0.1:5 - "GET /api/me/?access_token=SECRET1 HTTP/1.1" 200',
        "GET /oauth/access_token?client_id=a&client_secret=SECRET1&code=SECRET1",
        "GET /x?metadata=1&ACCESS_TOKEN=SECRET1&callback=cb",
        "Authorization: Bearer SECRET1",
    ],
)
def test_credentials_are_redacted(line):
    assert "SECRET1" not in redact(line) and REDACTED in redact(line)


def test_redaction_leaves_other_parameters(caplog):
    assert redact("GET /x/?limit=20&offset=5&decode=1") == "GET /x/?limit=20&offset=5&decode=1"
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactSecrets())
    with caplog.at_level(logging.INFO, "test.redaction"):
        logger.info('%s - "%s %s"', "1.2.3.4", "GET", "/api/me/?access_token=SECRET2")
    assert "SECRET2" not in caplog.text and "access_token=[redacted]" in caplog.text


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "/relative/path",
        "https://",
        "https://app.example/cb#fragment",
        "https://app.example/ cb",
        "https://app.example/" + "x" * 2100,
    ],
)
def test_bad_redirect_uris(uri):
    assert redirect_uri_problem(uri)


@pytest.mark.parametrize(
    "uri", ["https://app.example/cb", "http://localhost:3000/cb?x=1", "myapp://oauth/callback"]
)
def test_good_redirect_uris(uri):
    assert redirect_uri_problem(uri) is None


def test_app_form_reports_every_problem():
    form = AppForm("", "d" * 1001, parse_redirect_uris("javascript:x\nhttps://ok.example/cb"))
    assert set(check_app_form(form)) == {"name", "description", "redirect_uris"}
    assert parse_redirect_uris(" a \n\n b a ") == ("a", "b")


def test_redirect_keeps_the_registered_query():
    url = redirect_to("https://app.example/cb?tenant=7", {"code": "c d", "state": None})
    assert url == "https://app.example/cb?tenant=7&code=c+d"


def test_passwords_are_argon2id():
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "Correct horse")
    assert not verify_password(None, "correct horse")
    assert not verify_password("not a hash", "correct horse")
    with pytest.raises(WeakPassword):
        hash_password("short")


@pytest.mark.anyio
@pytest.mark.parametrize("url", ["memory://", "redis://127.0.0.1:6379"])
async def test_the_throttle_counts_per_key(url):
    throttle = Throttle(open_limits_storage(url), f"test-{uuid.uuid4().hex}", "3/minute")
    assert [await throttle.allow("a") for _ in range(4)] == [True, True, True, False]
    assert await throttle.allow("b")
    assert 1 <= await throttle.retry_after("a") <= 60
    await throttle.clear("a")
    assert await throttle.allow("a")
