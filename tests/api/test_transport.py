"""Transport rules every API response follows (wire-format.md §2, §9, §13): JSON and JSONP,
the metadata flag, the error shape, the trailing-slash 301, methods, CORS, and hostile paths.

The tests only read, so they share one seeded database (``tests.api.readonly``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mixcast.services import Services
from tests.api.readonly import client_for, readonly_services
from tests.conftest import api_get, assert_api_error
from tests.factories import make_show, make_user

pytestmark = pytest.mark.anyio

NOT_FOUND = "ResourceNotFoundException"
INVALID = "InvalidParameterException"
JSON_TYPE = "application/json; charset=utf-8"
JS_TYPE = "text/javascript; charset=utf-8"


async def seed(services: Services) -> None:
    uid = await make_user(services, "spartacus", city="London")
    await make_show(services, uid, "Party Time", tags=["Funk"])
    await make_show(services, uid, "Bon dimanche à tous")


@pytest.fixture(scope="module")
async def seeded(
    template_db: str, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """Every test here only reads (POST and DELETE are refused): one database for the module."""
    data_dir = tmp_path_factory.mktemp("transport")
    async with (
        readonly_services(template_db, media_dir, data_dir, seed) as services,
        client_for(services) as client,
    ):
        yield client


READ_PATHS = [
    "/spartacus/",
    "/spartacus/party-time/",
    "/genres/funk/",
    "/discover/city:london/",
    "/tag/funk+city:london/",
]


def unwrap(body: str, callback: str) -> object:
    assert body.startswith(callback + "(") and body.endswith(")"), body[:80]
    return json.loads(body[len(callback) + 1 : -1])


def is_api_error(response: httpx.Response, status: int, error_type: str) -> bool:
    """Like ``assert_api_error``, as a yes/no for the loops below."""
    try:
        assert_api_error(response, status=status, type=error_type)
    except (AssertionError, ValueError, KeyError):
        return False
    return True


# ------------------------------------------------------------------ JSON and JSONP


async def test_json_is_served_as_application_json_with_cors(seeded):
    for path in READ_PATHS:
        response = await api_get(seeded, path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == JSON_TYPE, path
        assert response.headers["access-control-allow-origin"] == "*", path
        assert isinstance(response.json(), dict)


VALID_CALLBACKS = ["fn", "a.b.c", "$x", "_y1", "jQuery1234_5678", "$", "_", "x" * 128]


async def test_jsonp_wraps_the_body_in_the_callback(seeded):
    for path in READ_PATHS:
        plain = (await api_get(seeded, path)).json()
        for callback in VALID_CALLBACKS:
            response = await api_get(seeded, path, callback=callback)
            assert response.status_code == 200, (path, callback)
            assert response.headers["content-type"] == JS_TYPE, (path, callback)
            assert response.headers["access-control-allow-origin"] == "*"
            assert unwrap(response.text, callback) == plain, (path, callback)


async def test_jsonp_keeps_metadata(seeded):
    response = await api_get(seeded, "/genres/funk/", callback="cb", metadata=1)
    body = unwrap(response.text, "cb")
    assert body["type"] == "tag" and "metadata" in body


async def test_an_empty_callback_is_plain_json(seeded):
    response = await seeded.get("/api/spartacus/?callback=")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_TYPE
    assert response.json()["key"] == "/spartacus/"


JUNK_CALLBACKS = [
    "a<b", "alert(1)", "a..b", "1abc", "x" * 129, "a b", "a;b", "a.", ".a", "a-b", "a'b",
    'a"b', "a\tb", "fn//", "ä", "a)(b", "a,b", "a=b", "<script>", "a[0]", "fn\n", "\nfn",
    "a\u2028b",
]  # fmt: skip


async def test_junk_callbacks_are_a_400_in_plain_json(seeded):
    wrong = []
    for callback in JUNK_CALLBACKS:
        response = await api_get(seeded, "/spartacus/", callback=callback)
        if not (
            is_api_error(response, 400, INVALID)
            and response.headers["content-type"] == JSON_TYPE
            and "callback" in response.json()["error"]["message"]
        ):
            wrong.append((callback, response.status_code, response.text[:60]))
    assert wrong == []


async def test_a_callback_with_a_trailing_newline_is_not_echoed(seeded):
    """``fn\\n`` is not an identifier path: it must not be echoed into the script."""
    response = await seeded.get("/api/spartacus/?callback=fn%0A")
    assert_api_error(response, status=400, type=INVALID)


async def test_errors_are_wrapped_when_the_callback_is_valid(seeded):
    cases = [
        ("/nobody/", 404, NOT_FOUND),
        ("/spartacus/nothing/", 404, NOT_FOUND),
        ("/genres/nothing/", 404, NOT_FOUND),
        ("/a/b/c/d/", 404, NOT_FOUND),  # no route at all
        ("/spartacus/?metadata=junk", 400, INVALID),
    ]
    for path, status, error_type in cases:
        sep = "&" if "?" in path else "?"
        response = await seeded.get(f"/api{path}{sep}callback=handle.error")
        assert response.status_code == status, path
        assert response.headers["content-type"] == JS_TYPE, path
        assert response.headers["access-control-allow-origin"] == "*", path
        body = unwrap(response.text, "handle.error")
        assert body["error"]["type"] == error_type, path


# ------------------------------------------------------------------ metadata flag


async def test_metadata_flag_values(seeded):
    cases = {"1": True, "true": True, "TRUE": True, "yes": True,
             "0": False, "false": False, "": False}  # fmt: skip
    for value, on in cases.items():
        response = await seeded.get(f"/api/spartacus/party-time/?metadata={value}")
        assert response.status_code == 200, value
        body = response.json()
        assert ("metadata" in body) is on, value
        assert ("type" in body) is on, value
        assert ("type" in body["user"]) is on, value


async def test_metadata_junk_is_a_400_that_names_the_parameter(seeded):
    wrong = []
    for value in ["junk", "2", "-1", "truee", "1.0", "%00", "%FF", "1%0A"]:
        response = await seeded.get(f"/api/spartacus/?metadata={value}")
        if not (
            is_api_error(response, 400, INVALID)
            and "metadata" in response.json()["error"]["message"]
        ):
            wrong.append((value, response.status_code))
    assert wrong == []


# ------------------------------------------------------------------ the error shape


async def test_404_body_is_exactly_the_error_shape(seeded):
    for path in ("/nobody/", "/spartacus/nothing/", "/genres/nothing/", "/x/y/z/"):
        response = await api_get(seeded, path)
        assert response.headers["content-type"] == JSON_TYPE
        body = assert_api_error(response, status=404, type=NOT_FOUND)
        assert set(body["error"]) == {"type", "message"}


async def test_error_messages_do_not_echo_huge_input(seeded):
    response = await seeded.get("/api/" + "u" * 1000 + "/")
    assert response.status_code == 404
    assert len(response.content) < 500


# ------------------------------------------------------------------ trailing slash


async def test_get_without_slash_is_a_bodyless_301_to_the_slashed_path(seeded):
    response = await seeded.get("/api/spartacus")
    assert response.status_code == 301
    assert response.content == b""
    assert response.headers["location"] == "/api/spartacus/"
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["access-control-allow-origin"] == "*"


BON = "/api/spartacus/bon-dimanche-%C3%A0-tous"
REDIRECTS = [
    ("/api/spartacus?limit=1&metadata=1&offset=1", "/api/spartacus/?limit=1&metadata=1&offset=1"),
    ("/api/spartacus/party-time?b=%20x&a=1&a=2&c=", "/api/spartacus/party-time/?b=%20x&a=1&a=2&c="),
    ("/api/genres/funk?metadata=1", "/api/genres/funk/?metadata=1"),
    ("/api/tag/funk+city:london", "/api/tag/funk+city:london/"),
    ("/api/discover/city:london?x", "/api/discover/city:london/?x"),
    (BON, BON + "/"),
    (BON + "?x=%C3%A0&y=%2F", BON + "/?x=%C3%A0&y=%2F"),
    ("/api/nobody", "/api/nobody/"),  # the 404 comes after the redirect
]  # fmt: skip


async def test_redirect_keeps_the_path_encoding_and_the_query_exactly(seeded):
    for path, location in REDIRECTS:
        for method in ("GET", "HEAD"):
            response = await seeded.request(method, path)
            assert response.status_code == 301, (method, path)
            assert response.headers["location"] == location, (method, path)
            assert response.content == b""
            assert response.headers["content-type"].startswith("text/html")
            assert response.headers["access-control-allow-origin"] == "*"


async def test_following_the_redirect_gives_the_object(seeded):
    response = await seeded.get(BON + "?metadata=1", follow_redirects=True)
    assert response.status_code == 200
    assert response.json()["key"] == "/spartacus/bon-dimanche-%C3%A0-tous/"
    assert response.json()["type"] == "cloudcast"


async def test_a_path_that_does_not_exist_even_with_a_slash_is_a_404_not_a_301(seeded):
    response = await seeded.get("/api/a/b/c")
    assert_api_error(response, status=404, type=NOT_FOUND)


async def test_no_redirect_leaves_the_site(seeded):
    for path in ("/api//evil.example", "/api//evil.example/x", "/api/%2F%2Fevil.example"):
        response = await seeded.get(path)
        location = response.headers.get("location", "")
        assert not location.startswith("//") and "://" not in location, path
        assert response.status_code in (301, 404), path


async def test_post_and_delete_without_slash_are_never_redirected(seeded):
    for method in ("POST", "DELETE"):
        response = await seeded.request(method, "/api/spartacus")
        assert response.status_code not in (301, 302, 303, 307, 308), method
        assert "location" not in response.headers
        assert response.headers["access-control-allow-origin"] == "*"
        assert "error" in response.json()


# ------------------------------------------------------------------ methods


async def test_head_answers_like_get_without_a_body(seeded):
    for path in READ_PATHS:
        get = await api_get(seeded, path)
        head = await seeded.head("/api" + path)
        assert head.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["access-control-allow-origin"] == "*"


async def test_other_methods_on_a_read_route_are_405_in_the_error_shape(seeded):
    wrong = []
    for path in ("/spartacus/", "/spartacus/party-time/", "/genres/funk/"):
        for method in ("POST", "DELETE", "PUT", "PATCH"):
            response = await seeded.request(method, "/api" + path)
            allowed = {m.strip() for m in response.headers.get("allow", "").split(",")}
            if not (
                is_api_error(response, 405, "MethodNotAllowedException")
                and response.headers["content-type"] == JSON_TYPE
                and {"GET", "HEAD"} <= allowed
                and method not in allowed
            ):
                wrong.append((method, path, response.status_code, response.text[:40]))
    assert wrong == []


async def test_preflight_allows_post_and_delete_from_anywhere(seeded):
    response = await seeded.options(
        "/api/spartacus/follow/",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "DELETE"} <= methods
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers


async def test_preflight_without_requested_headers(seeded):
    response = await seeded.options("/api/spartacus/")
    assert response.status_code == 204
    assert "POST" in response.headers["access-control-allow-methods"]


# ------------------------------------------------------------------ CORS everywhere


async def test_every_api_response_allows_any_origin(seeded):
    cases = [
        ("GET", "/api/spartacus/"),
        ("GET", "/api/spartacus/?callback=cb"),
        ("GET", "/api/spartacus"),
        ("GET", "/api/nobody/"),
        ("GET", "/api/nobody/?callback=cb"),
        ("GET", "/api/spartacus/?metadata=junk"),
        ("GET", "/api/spartacus/?callback=a(b"),
        ("GET", "/api/x/y/z/w/"),
        ("HEAD", "/api/spartacus/"),
        ("POST", "/api/spartacus/"),
        ("DELETE", "/api/spartacus/party-time/"),
        ("OPTIONS", "/api/spartacus/"),
        ("GET", "/api/" + "a" * 5000 + "/"),
    ]
    missing = []
    for method, path in cases:
        response = await seeded.request(method, path, headers={"Origin": "https://app.example"})
        if response.headers.get("access-control-allow-origin") != "*":
            missing.append((method, path[:40], response.status_code))
    assert missing == []


# ------------------------------------------------------------------ hostile paths

HOSTILE = [
    "/api/%zz/",
    "/api/%/",
    "/api/%ff%fe/",
    "/api/%ff%fe/%c3/",
    "/api/spartacus/%ff/",
    "/api/genres/%ff/",
    "/api/genres/city:%ff/",
    "/api/%ED%A0%80/",  # an encoded surrogate
    "/api/%00/",
    "/api/spartacus/%00/",
    "/api/genres/%00/",
    "/api/genres/city:%00/",
    "/api/genres/funk+city:%00/",
    "/api/a%00b/party-time/",
    "/api/%E2%80%8F%E2%80%AEspartacus/",  # RLM + RLO
    "/api/spartacus/%E2%80%AEemit-ytrap/",
    "/api/%F0%9F%8E%B5/",  # emoji
    "/api/spartacus/%F0%9F%8E%B5%F0%9F%94%A5/",
    "/api/genres/%F0%9F%8E%B5/",
    "/api/e%CC%81%CC%81%CC%81/",  # combining characters
    "/api/spartacus/" + "a%CC%81" * 300 + "/",
    "/api/" + "u" * 1000 + "/",
    "/api/" + "%C3%BC" * 1000 + "/",
    "/api/spartacus/" + "s" * 1000 + "/",
    "/api/genres/" + "g" * 1000 + "/",
    "/api/genres/city:" + "c" * 1000 + "/",
    "/api/" + "a" * 5000 + "/",
    "/api/" + "a" * 5000,
    "/api/" + "a/" * 2500,
    "/api/..%2F..%2Fetc%2Fpasswd/",
    "/api/%2e%2e/",
    "/api/spartacus/%2e%2e/",
    "/api/%20/",
    "/api/%0d%0aSet-Cookie:x/",
    "/api/spartacus%0d%0aSet-Cookie:x",
    "/api/spartacus/?metadata=%00",
    "/api/spartacus/?callback=%00",
    "/api/spartacus/?callback=%ff",
    "/api/spartacus/?metadata=%ff%fe",
]


async def test_hostile_paths_get_the_error_shape_never_a_500(seeded):
    wrong = []
    for path in HOSTILE:
        response = await seeded.get(path)
        status = response.status_code
        if response.headers.get("access-control-allow-origin") != "*":
            wrong.append((path[:50], status, "no CORS"))
        elif status == 301:
            location = response.headers["location"]
            if response.content or "\r" in location or "\n" in location:
                wrong.append((path[:50], status, location[:50]))
        elif status not in (400, 404):
            wrong.append((path[:50], status, response.text[:80]))
        elif response.headers["content-type"] != JSON_TYPE:
            wrong.append((path[:50], status, response.headers["content-type"]))
        else:
            body = response.json()
            if set(body) != {"error"} or body["error"]["type"] not in (NOT_FOUND, INVALID):
                wrong.append((path[:50], status, body))
    assert wrong == []


async def test_odd_unicode_in_a_name_is_not_ignored(seeded):
    """Bidi marks, zero-width characters and a BOM are part of the name: no such user."""
    for path in (
        "/api/%E2%80%8Fspartacus/",
        "/api/spartacus%E2%80%8B/",
        "/api/%EF%BB%BFspartacus/",
    ):
        assert_api_error(await seeded.get(path), status=404, type=NOT_FOUND)
