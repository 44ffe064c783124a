"""SQL metacharacters everywhere a client can put text: search queries (FTS5 and tsquery syntax
too), tags and usernames in paths, paging parameters, sign-in, sign-up, profile and upload
fields. Never a 500; results are what the words ask for (``%`` and ``_`` are no wildcards, an
``OR`` is a word, a quote is a separator); every value is stored and shown as written; and the
tables are intact afterwards. Runs on SQLite and, with MIXCAST_TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from mixcast.accounts.passwords import hash_password
from mixcast.db.database import Query
from mixcast.services import Services
from tests.api.uploading import post_upload
from tests.conftest import api_get, assert_api_error
from tests.factories import make_show, make_token, make_user
from tests.web.helpers import PASSWORD, post_form, sign_in

pytestmark = pytest.mark.anyio

SHOWS = [
    "Party Time",
    "Party Animals",
    "Near Dark",
    "And Then There Were None",
    "100% Pure",
    "O'Brien's Set",
    'Quoted "Words" Here',
    "Semi; Colon -- Dash",
    "Back\\slash Beats",
]
INJECTIONS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '" OR ""="',
    "'; DROP TABLE shows; --",
    "party'; DROP TABLE shows; --",
    "1; SELECT * FROM users",
    "party) OR (1=1",
    "\\' OR 1=1 --",
    "%' OR '%'='",
]
NO_WORDS = ["'", '"', ";--", "%", "_", "\\", "*", "-", ":", "%%", "__", "'--", "()", "^", "|&!"]
TABLES = (
    "users",
    "shows",
    "tags",
    "show_tags",
    "sections",
    "sessions",
    "oauth_apps",
    "oauth_tokens",
)


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
async def world(services: Services, password_hash: str) -> dict[str, Any]:
    spartacus = await make_user(services, "spartacus", display_name="Spartacus of Thrace",
                                password_hash=password_hash)  # fmt: skip
    await make_user(services, "dj_party", display_name="DJ Party")
    await make_user(services, "djxparty", display_name="Someone Else")
    ids = {}
    for name in SHOWS:
        ids[name], _ = await make_show(services, spartacus, name, tags=("Drum & Bass", "Funk"))
    return {"spartacus": spartacus, "ids": ids, "counts": await counts(services)}


async def counts(services: Services) -> dict[str, int]:
    out = {}
    for table in TABLES:
        out[table] = await services.db.fetch_value(Query(f"SELECT COUNT(*) FROM {table}"))
    return out


async def search(client: httpx.AsyncClient, q: str, kind: str = "cloudcast") -> httpx.Response:
    response = await api_get(client, "/search/", q=q, type=kind)
    assert response.status_code in (200, 400), (q, kind, response.status_code)
    return response


async def names(client: httpx.AsyncClient, q: str, kind: str = "cloudcast") -> list[str]:
    response = await search(client, q, kind)
    assert response.status_code == 200, (q, response.text)
    return sorted(item["name"] for item in response.json()["data"])


# ------------------------------------------------------------------ search


async def test_the_words_find_what_they_say(client, world):
    """The control: plain words find exactly their shows, so the checks below can fail."""
    assert await names(client, "party") == ["Party Animals", "Party Time"]
    assert await names(client, "near") == ["Near Dark"]


@pytest.mark.parametrize("q", NO_WORDS)
async def test_punctuation_alone_is_no_query(client, world, q):
    for kind in ("cloudcast", "user", "tag"):
        response = await search(client, q, kind)
        assert_api_error(response, status=400, type="InvalidParameterException")


@pytest.mark.parametrize("q", INJECTIONS)
async def test_injections_are_words_and_match_nothing_extra(client, services, world, q):
    for kind in ("cloudcast", "user", "tag"):
        response = await search(client, q, kind)
        assert response.status_code == 200, (q, kind, response.text)
        found = [item["name"] for item in response.json()["data"]]
        # Every word must match: none of these texts' word sets is in any name.
        assert found == [], (q, kind, found)
    assert await counts(services) == world["counts"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%party%", ["Party Animals", "Party Time"]),  # % is a separator, not a wildcard
        ("party%", ["Party Animals", "Party Time"]),
        ("p%y", []),
        ("p_rty", []),  # _ is a separator too: "p" and "rty" match no word
        ("part_", ["Party Animals", "Party Time"]),  # "part" is the prefix
        ("_arty", []),
        ("100%", ["100% Pure"]),
        ("%", None),
        ("AND", ["And Then There Were None"]),  # FTS syntax words are plain words
        ("and then", ["And Then There Were None"]),
        ("NEAR", ["Near Dark"]),
        ("NEAR(party time)", []),
        ("party AND time", []),  # "and" is a word no party show has
        ("party OR near", []),
        ("party NOT time", []),
        ("-party", ["Party Animals", "Party Time"]),  # no negation
        ("party -time", ["Party Time"]),
        ("party*", ["Party Animals", "Party Time"]),
        ("*party", ["Party Animals", "Party Time"]),
        ("name:party", []),  # no column filters: "name" is a word
        ("party:*", ["Party Animals", "Party Time"]),
        ("party:A", []),  # no tsquery weights: "a" is a word
        ("party & time", ["Party Time"]),
        ("party | near", []),
        ("!party", ["Party Animals", "Party Time"]),
        ("'party'", ["Party Animals", "Party Time"]),
        ('"party time"', ["Party Time"]),
        ('"party', ["Party Animals", "Party Time"]),
        ("^party", ["Party Animals", "Party Time"]),
        ("(party", ["Party Animals", "Party Time"]),
        ("o'brien", ["O'Brien's Set"]),
        ('quoted "words"', ['Quoted "Words" Here']),
        ("semi; colon --", ["Semi; Colon -- Dash"]),
        ("back\\slash", ["Back\\slash Beats"]),
        ("\\party", ["Party Animals", "Party Time"]),
        ("party\x00time", ["Party Time"]),
    ],
)
async def test_query_syntax_is_not_interpreted(client, world, q, expected):
    if expected is None:
        assert_api_error(await search(client, q), status=400, type="InvalidParameterException")
    else:
        assert await names(client, q) == expected, q


async def test_user_and_tag_searches_take_no_wildcards(client, world):
    users = await names(client, "dj_party", "user")
    assert users == ["DJ Party"]  # the username exactly; not djxparty
    assert await names(client, "dj%party", "user") == ["DJ Party"]  # the words dj and party
    assert await names(client, "dj_", "user") == ["DJ Party", "Someone Else"]  # prefix "dj"
    assert await names(client, "drum & bass", "tag") == ["Drum & Bass"]
    assert await names(client, "drum%", "tag") == ["Drum & Bass"]
    assert await names(client, "f_nk", "tag") == []
    assert await names(client, "' OR 1=1 --", "tag") == []


# ------------------------------------------------------------------ paths and parameters

PATH_TEXTS = [
    "'", "' OR 1=1 --", "spartacus'--", "spartacus\" OR \"\"=\"", "%", "%25", "_", "__",
    "spartacu_", "sparta%", "\\", "spartacus;--", "'; DROP TABLE users; --", "*",
]  # fmt: skip


@pytest.mark.parametrize("text", PATH_TEXTS)
async def test_metacharacters_in_paths_find_nothing(client, services, world, text):
    segment = quote(text, safe="")
    for path in (
        f"/{segment}/",
        f"/{segment}/cloudcasts/",
        f"/spartacus/{segment}/",
        f"/spartacus/{segment}/listeners/",
        f"/genres/{segment}/",
        f"/genres/city:{segment}/",
        f"/genres/funk+city:{segment}/",
        f"/genres/{segment}/new/",
        f"/spartacus/playlists/{segment}/",
    ):
        response = await api_get(client, path)
        assert_api_error(response, status=404, type="ResourceNotFoundException")
        page = await client.get(path)
        assert page.status_code in (301, 404), (path, page.status_code)
    assert await counts(services) == world["counts"]


async def test_a_real_path_is_found(client, world):
    """The control for the path checks above."""
    assert (await api_get(client, "/spartacus/party-time/")).status_code == 200
    assert (await api_get(client, "/genres/funk/new/")).json()["data"]


PAGING = [
    ("since", "'"), ("since", "1' OR '1'='1"), ("since", "2020-01-01'--"), ("since", "%"),
    ("since", ";--"), ("since", "_"), ("until", "' OR 1=1 --"), ("until", "1;DROP TABLE shows"),
    ("until", "%25"), ("until", "\\"), ("limit", "1;--"), ("limit", "' OR 1=1"),
    ("limit", "%"), ("offset", "_"), ("offset", "0 OR 1=1"), ("offset", "1'"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value"), PAGING)
async def test_metacharacters_in_paging_are_refused(client, services, world, name, value):
    for path in ("/new/", "/spartacus/cloudcasts/", "/genres/funk/new/", "/search/"):
        params = {name: value}
        if path == "/search/":
            params.update(q="party", type="cloudcast")
        response = await api_get(client, path, **params)
        assert_api_error(response, status=400, type="InvalidParameterException")
    assert await counts(services) == world["counts"]


# ------------------------------------------------------------------ forms


async def test_sign_in_with_injections_signs_nobody_in(client, world):
    for login, password in (("' OR 1=1 --", "x"), ("spartacus'--", "x"),
                            ("spartacus", "' OR '1'='1"), ("%", "%"), ("_", PASSWORD)):  # fmt: skip
        response = await sign_in(client, login, password)
        assert response.status_code in (400, 401), (login, response.status_code)
        assert "mixcast_session" not in response.cookies
    assert (await sign_in(client, "spartacus")).status_code == 303  # the control


async def test_sign_up_refuses_injected_usernames(client, services, world):
    for username in ("x' OR '1'='1", "a;--", "a%", "robert'); DROP TABLE users;--"):
        fields = {"username": username, "email": "bobby@example.com", "password": PASSWORD}
        assert (await post_form(client, "/signup/", fields)).status_code == 400
    fields = {"username": "bobby", "email": "b'--@example.com", "password": PASSWORD}
    assert (await post_form(client, "/signup/", fields)).status_code in (303, 400)
    assert await services.db.fetch_value(Query("SELECT COUNT(*) FROM shows")) == len(SHOWS)


SQL_TEXT = "Robert'); DROP TABLE shows;-- \"%_\\ 100%"


async def test_form_and_upload_fields_are_stored_as_written(client, services, world):
    assert (await sign_in(client, "spartacus")).status_code == 303
    fields = {"display_name": SQL_TEXT, "biog": SQL_TEXT, "city": SQL_TEXT, "country": SQL_TEXT}
    assert (await post_form(client, "/settings/profile/", fields)).status_code == 303
    user = (await api_get(client, "/spartacus/")).json()
    assert [user[k] for k in ("name", "biog", "city", "country")] == [SQL_TEXT] * 4

    token = await make_token(services, world["spartacus"])
    edit = {"name": SQL_TEXT, "description": SQL_TEXT, "tags-0-tag": SQL_TEXT,
            "sections-0-artist": SQL_TEXT, "sections-0-song": "';--"}  # fmt: skip
    response = await post_upload(client, token, edit, path="/upload/spartacus/party-time/edit/")
    assert response.status_code == 200, response.text
    show = (await api_get(client, "/spartacus/party-time/")).json()
    assert show["name"] == show["description"] == SQL_TEXT
    assert [t["name"] for t in show["tags"]] == [SQL_TEXT]
    assert show["sections"][0]["track"]["artist"]["name"] == SQL_TEXT
    assert show["sections"][0]["track"]["name"] == "';--"
    assert await names(client, "robert drop") == [SQL_TEXT]  # re-indexed, and searchable
    assert await names(client, "100") == sorted(["100% Pure", SQL_TEXT])
    tag_key = show["tags"][0]["key"]
    assert (await api_get(client, tag_key)).status_code == 200
    after = await counts(services)
    assert after["shows"] == world["counts"]["shows"]
    assert after["tags"] == world["counts"]["tags"] + 1  # the edit's tag
