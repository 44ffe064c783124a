"""Unicode edge cases in usernames and slugs: other normal forms, homoglyphs, the RTL override,
zero-width characters, emoji, combining marks, case folding (ǅ, ß, İ and ı), very long names,
names that slugify to nothing.

The promises: a username, the part of every address that says *whose* it is, is ASCII and
case-insensitive, so no two accounts a reader cannot tell apart exist, and a lookalike in a path
finds nobody; a show's or tag's address is found from any normal form or case of its slug;
names that read alike get the same base slug (then -2, -3 within one owner); no slug carries an
invisible character; and nothing here is ever a 500."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from urllib.parse import quote

import pytest
from httpx import AsyncClient

from mixcast.accounts.passwords import hash_password
from mixcast.accounts.usernames import InvalidUsername, check_username
from mixcast.accounts.users import UsernameTaken
from mixcast.db.database import Query
from mixcast.services import Services
from tests.api.uploading import audio_file, post_upload
from tests.conftest import api_get, assert_api_error
from tests.factories import make_show, make_token, make_user
from tests.web.helpers import PASSWORD, post_form, sign_in

pytestmark = pytest.mark.anyio

LOOKALIKE_USERNAMES = [
    "spärtacus",  # NFC
    "spa\u0308rtacus",  # NFD
    "ѕpartacus",  # Cyrillic ѕ
    "spartаcus",  # Cyrillic а
    "\u017fpartacus",  # ſ, which case-folds to s
    "\u212arixus",  # the Kelvin sign, which case-folds to k
    "ｓｐａｒｔａｃｕｓ",  # fullwidth
    "spartacus\u202e",  # right-to-left override
    "\u202esutcatraps",
    "spar\u200dtacus",  # zero-width joiner
    "spar\u200btacus",  # zero-width space
    "\ufeffspartacus",  # byte order mark
    "spartacus🎵",
    "ǅ",
    "straße",
    "ıstanbul",  # dotless i
    "İstanbul",
    "spartacus ",
    " spartacus",
    "spar tacus",
    "spartacus\n",
    "a" * 65,
    "",
]
INVISIBLE = ("Cf", "Cc", "Co", "Cs", "Cn", "Zs", "Zl", "Zp")
_USERS = Query("SELECT COUNT(*) FROM users")


@pytest.fixture
async def spartacus(services: Services) -> int:
    await make_user(services, "krixus")  # what a Kelvin-sign "Krixus" would fold to
    return await make_user(services, "spartacus")


async def assert_page_at(client: AsyncClient, path: str, key: str) -> None:
    """The site's page at ``path`` is the page at ``key``: itself, or a 301 to it."""
    page = await client.get(path)
    if path != key:
        assert page.status_code == 301, (path, page.status_code)
        assert page.headers["location"] == key
        page = await client.get(key)
    assert page.status_code == 200, path


# ------------------------------------------------------------------ usernames


@pytest.mark.parametrize("username", LOOKALIKE_USERNAMES)
def test_a_lookalike_is_not_a_username(username):
    with pytest.raises(InvalidUsername):
        check_username(username)


async def test_case_variants_are_one_account(services, spartacus):
    for variant in ("Spartacus", "SPARTACUS", "sPaRtAcUs"):
        with pytest.raises(UsernameTaken):
            await make_user(services, variant)
    assert await services.db.fetch_value(_USERS) == 2


async def test_sign_up_refuses_lookalikes_and_case_variants(client, services, spartacus):
    for username in [*LOOKALIKE_USERNAMES[:14], "Spartacus"]:
        fields = {"username": username, "email": "x@example.com",
                  "password": "correct horse battery"}  # fmt: skip
        response = await post_form(client, "/signup/", fields)
        assert response.status_code == 400, username
        assert "username" in response.text.lower()
    assert await services.db.fetch_value(_USERS) == 2


async def test_any_case_of_a_username_finds_the_user_everywhere(client, spartacus):
    for path in ("/SPARTACUS/", "/Spartacus/"):
        api = await api_get(client, path)
        assert api.status_code == 200
        assert api.json()["username"] == "spartacus"
        assert api.json()["key"] == "/spartacus/"
        await assert_page_at(client, path, "/spartacus/")


@pytest.mark.parametrize("username", LOOKALIKE_USERNAMES[:-1])
async def test_a_lookalike_in_a_path_finds_nobody(client, spartacus, username):
    segment = quote(username, safe="")
    for path in (f"/{segment}/", f"/{segment}/cloudcasts/", f"/{segment}/any-show/"):
        response = await api_get(client, path)
        assert_api_error(response, status=404, type="ResourceNotFoundException")
        page = await client.get(path)
        assert page.status_code == 404, path
    oembed = await client.get("/oembed", params={"url": f"http://testserver/{segment}/"})
    assert oembed.status_code == 404


# ------------------------------------------------------------------ show slugs

ALIKE = [  # names a reader cannot tell apart: one base slug
    ("Café", "Cafe\u0301"),  # NFC and NFD
    ("Straße", "STRASSE"),
    ("ﬁre", "fire"),  # a ligature
    ("ǅemal", "ǄEMAL"),  # titlecase and uppercase digraph
    ("İzmir", "i\u0307zmir"),  # İ folds to i + U+0307
    ("\u202eParty", "Party"),  # the RTL override is no part of an address
    ("Par\u200bty Night", "Par ty Night"),  # a zero-width space is a word break
    ("\u0301abc", "abc"),  # a combining mark with no letter before it
    ("Bass 🎵", "bass"),
]


@pytest.mark.parametrize(("first", "second"), ALIKE)
async def test_names_that_read_alike_share_a_base_slug(client, services, spartacus, first, second):
    _, slug = await make_show(services, spartacus, first)
    _, other = await make_show(services, spartacus, second)
    assert other == f"{slug}-2", (slug, other)
    for name, key_slug in ((first, slug), (second, other)):
        response = await api_get(client, f"/spartacus/{quote(key_slug)}/")
        assert response.status_code == 200
        assert response.json()["name"] == name.strip()


DISTINCT = [  # names a reader can tell apart: their own addresses
    ("İstanbul", "Istanbul"),
    ("ıstanbul", "istanbul"),
    ("Ελληνικά", "Ελληνικα"),
]


@pytest.mark.parametrize(("first", "second"), DISTINCT)
async def test_names_that_differ_keep_their_own_slugs(services, spartacus, first, second):
    _, slug = await make_show(services, spartacus, first)
    _, other = await make_show(services, spartacus, second)
    assert slug != other and not other.endswith("-2")


NAMES = [
    "Café del Mar",
    "İstanbul Nights",
    "ǅemal's Mix",
    "Straße",
    "東京 Tokyo",
    "Ελληνικά",
    "مرحبا بالعالم",  # right to left
    "a\u0301" * 120,  # long, decomposed (240 characters: a name holds 255)
    "é" * 255,  # as long as a name may be
    "Z\u0351\u0352\u0353\u0354\u0355algo",
]


@pytest.mark.parametrize("name", NAMES)
async def test_any_normal_form_or_case_of_a_slug_finds_the_show(client, services, spartacus, name):
    _, slug = await make_show(services, spartacus, name)
    assert slug and unicodedata.is_normalized("NFC", slug) and len(slug) <= 200
    assert not any(unicodedata.category(ch) in INVISIBLE for ch in slug)
    key = f"/spartacus/{quote(slug)}/"
    for form in ("NFC", "NFD", "NFKC"):
        for variant in (slug, slug.upper(), slug.title()):
            written = unicodedata.normalize(form, variant)
            if form == "NFKC" and unicodedata.normalize("NFC", written) != slug:
                continue  # compatibility forms may be other letters: not the same address
            response = await api_get(client, f"/spartacus/{quote(written)}/")
            assert response.status_code == 200, (form, variant)
            assert response.json()["key"] == key
            await assert_page_at(client, f"/spartacus/{quote(written)}/", key)
    embed = await api_get(client, f"/spartacus/{quote(slug)}/embed-json/")
    assert embed.status_code == 200
    assert "feed=" + quote(key, safe="") in embed.json()["html"]


@pytest.mark.parametrize("name", ["🎵🎶", "!!!", "\u202e\u200d", "\u0301\u0302", "---", "…", "·"])
async def test_names_that_slugify_to_nothing_get_a_plain_slug(client, services, spartacus, name):
    _, slug = await make_show(services, spartacus, name)
    _, again = await make_show(services, spartacus, name)
    assert (slug, again) == ("show", "show-2")
    assert (await api_get(client, "/spartacus/show-2/")).json()["name"] == name


async def test_reserved_words_are_found_through_case_folding(services, spartacus):
    """ſ folds to s: "Favoriteſ" would take the address of spartacus's favorites list."""
    for name, expected in (("Favoriteſ", "favorites-2"), ("EMBED-JſON", "embed-json-2"),
                           ("Cloudcasts", "cloudcasts-2")):  # fmt: skip
        assert (await make_show(services, spartacus, name))[1] == expected


# ------------------------------------------------------------------ the real paths


async def test_uploads_with_unicode_names_get_addresses_that_work(
    client, services, spartacus, tmp_path: Path
):
    token = await make_token(services, spartacus)
    mp3 = audio_file(tmp_path, seconds=2.0)
    for name, expected in (("🎵🎶🎵", "show"), ("Cafe\u0301 \u202eMix", "café-mix"),
                           ("ß" * 200, "ss" * 100), ("\u0301", "show-2")):  # fmt: skip
        response = await post_upload(client, token, {"name": name}, mp3)
        assert response.status_code == 200, response.text
        key = response.json()["result"]["key"]
        assert key == f"/spartacus/{quote(expected)}/", (name, key)
    too_long = await post_upload(client, token, {"name": "é" * 256}, mp3)
    assert too_long.status_code == 400 and too_long.json()["details"].keys() == {"name"}


async def test_tags_and_cities_are_one_whatever_the_form(client, services, spartacus):
    athenian = await make_user(services, "pericles", city="Αθήνα")
    await make_show(services, athenian, "Agora", tags=("Café", "CAFE\u0301", "İzmir"))
    show = (await api_get(client, "/pericles/agora/")).json()
    assert [t["name"] for t in show["tags"]] == ["Café", "İzmir"]
    for path in (
        "/genres/" + quote("café") + "/",
        "/genres/" + quote("CAFE\u0301") + "/",  # upper case, decomposed
        "/genres/city:" + quote("ΑΘΉΝΑ") + "/",
        "/genres/city:" + quote("αθήνα") + "/",
    ):
        response = await api_get(client, path)
        assert response.status_code == 200, path
        assert (await client.get(path)).status_code == 200, path


# ------------------------------------------------------------------ never a 500

ODD_SEGMENTS = [
    "%C0%AF", "%FF", "%ED%A0%80", "%E2%80%AE", "%EF%BB%BF", "%F0%9F%8E%B5", "%CC%81",
    "%E2%80%8D", "%F4%8F%BF%BF", "%EF%BF%BE", "%C3%A9" * 300, "a" * 3000, "%25", "%",
]  # fmt: skip


@pytest.mark.parametrize("segment", ODD_SEGMENTS)
async def test_odd_unicode_in_paths_is_never_a_server_error(client, spartacus, segment):
    for path in (f"/{segment}/", f"/spartacus/{segment}/", f"/genres/{segment}/",
                 f"/genres/city:{segment}/", f"/spartacus/{segment}/stream.mp3",
                 f"/widget/iframe/?feed=/spartacus/{segment}/"):  # fmt: skip
        for prefix in ("/api", ""):
            if prefix and ("stream.mp3" in path or "widget" in path):
                continue
            response = await client.get(prefix + path)
            assert response.status_code in (400, 404), (prefix + path, response.status_code)


async def test_a_city_that_slugifies_to_nothing_does_not_block_uploads(
    client, services, tmp_path: Path
):
    owner = await make_user(services, "nomad", city="🌍")  # the profile form accepts it
    token = await make_token(services, owner)
    response = await post_upload(client, token, {"name": "Mix"}, audio_file(tmp_path, seconds=2.0))
    assert response.status_code == 200, response.text
    assert response.json()["result"]["key"] == "/nomad/mix/"


async def test_a_lookalike_login_signs_nobody_in(client, services):
    """The password alone must not let "ſpartacus" (ſ folds to s) or a fullwidth name sign in
    as spartacus: a login matches a username only as ASCII, as every other place reads it."""
    await make_user(services, "spartacus", password_hash=hash_password(PASSWORD))
    for login in ("\u017fpartacus", "\uff53partacus", "spartacu\u017f"):
        response = await sign_in(client, login)
        assert response.status_code in (400, 401), login
        assert "mixcast_session" not in response.cookies
    assert (await sign_in(client, "SPARTACUS")).status_code == 303  # case alone is the same name
