"""The user page, the tag, city and site-wide lists, the app-link files and the stylesheet."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import httpx
import pytest

from mixcast.accounts.passwords import hash_password
from mixcast.app import MixcastApp
from mixcast.clock import now_us
from mixcast.errors import ConfigError
from mixcast.ranking.job import refresh_scores
from mixcast.services import Services
from mixcast.settings import AndroidApp, Settings
from mixcast.shows.engagement import FAVORITES
from mixcast.shows.listing import set_show_hosts
from tests.factories import T0, make_show, make_user
from tests.web.helpers import PASSWORD, post_form, sign_in

pytestmark = pytest.mark.anyio

XSS = "<script>alert(1)</script>"
FINGERPRINT = ":".join(f"{n:02X}" for n in range(32))
ROTATED = ":".join(["FF"] * 32)


def show_names(page: str) -> list[str]:
    """The shows a list page shows, in order."""
    return [html.unescape(n) for n in re.findall(r'class="show-name" href="[^"]*">([^<]*)<', page)]


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def number(page: str, name: str) -> int:
    found = re.search(rf'id="{name}">(\d+)<', page)
    assert found, name
    return int(found.group(1))


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


# ---- the user page


async def test_the_user_page(client, services):
    varro = await make_user(services, "varro", display_name="Marcus Varro", biog="Lanista.\nRich.",
                            city="Capua", country="Italy")  # fmt: skip
    crassus = await make_user(services, "crassus", display_name="Crassus")
    await make_show(services, varro, "First Mix", now=T0)
    await make_show(services, varro, "Second Mix", now=T0 + 1, tags=("Funk",), hide_stats=True)
    await make_show(services, varro, "A Draft", now=T0 + 2, visibility="draft")
    await make_show(services, varro, "Unlisted", now=T0 + 3, visibility="unlisted")
    hosted, _ = await make_show(services, crassus, "Hosted by Varro", now=T0 + 4)
    async with services.db.transaction() as tx:
        await set_show_hosts(tx, hosted, [varro])
    response = await client.get("/varro/")
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    page = response.text
    assert '<h1 id="display-name">Marcus Varro</h1>' in page
    assert "@varro" in page and '<span id="place">Capua, Italy</span>' in page
    assert '<p class="description" id="biog">Lanista.\nRich.</p>' in page
    assert 'src="http://testserver/media/pictures/default-profile/300x300.jpg"' in page
    assert 'src="http://testserver/media/pictures/default-profile_cover/1113x160.jpg"' in page
    assert (number(page, "follower-count"), number(page, "following-count")) == (0, 0)
    # Own and hosted shows, newest first, listed ones only (the API's /varro/cloudcasts/).
    assert show_names(page) == ["Hosted by Varro", "Second Mix", "First Mix"]
    assert '<a href="http://testserver/varro/second-mix/">' in page
    assert '<a href="http://testserver/genres/funk/">Funk</a>' in page
    cards = page.split('class="show-card"')[1:]
    assert "plays" in cards[0] and "plays" not in cards[1]  # Second Mix hides its stats
    api = (await client.get("/api/varro/cloudcasts/")).json()
    assert [show["name"] for show in api["data"]] == show_names(page)


async def test_the_user_page_pages_by_until(client, services):
    varro = await make_user(services, "varro")
    for n in range(23):
        await make_show(services, varro, f"Mix {n}", now=T0 + n)
    page = (await client.get("/varro/")).text
    assert show_names(page) == [f"Mix {n}" for n in range(22, 2, -1)]
    older = link(page, "next")
    assert older is not None and older.startswith("http://testserver/varro/?until=")
    page = (await client.get(older)).text
    assert show_names(page) == ["Mix 2", "Mix 1", "Mix 0"]
    assert link(page, "next") is None and '<a href="http://testserver/varro/">Newest' in page
    bad = await client.get("/varro/?until=yesterday")
    assert bad.status_code == 400 and "<h1>400</h1>" in bad.text


async def test_follow_from_the_user_page(client, services, new_client, password_hash):
    await make_user(services, "varro")
    await make_user(services, "crixus", password_hash=password_hash)
    crixus = await new_client()
    assert (await sign_in(crixus, "crixus")).status_code == 303
    page = (await crixus.get("/varro/")).text
    assert '<button type="submit" class="action" aria-pressed="false">Follow</button>' in page
    assert 'action="http://testserver/varro/follow/"' in page
    response = await post_form(crixus, "/varro/follow/")
    assert response.status_code == 303 and response.headers["location"] == "/varro/"
    page = (await crixus.get("/varro/")).text
    assert number(page, "follower-count") == 1
    assert '<input type="hidden" name="method" value="delete">' in page
    assert ">Unfollow</button>" in page
    assert number((await crixus.get("/crixus/")).text, "following-count") == 1
    response = await post_form(crixus, "/varro/follow/", {"method": "delete"})
    assert number((await crixus.get("/varro/")).text, "follower-count") == 0
    # One's own page has no Follow button; a signed-out visitor gets a link to sign in.
    assert "Follow</button>" not in (await crixus.get("/crixus/")).text
    page = (await client.get("/varro/")).text
    assert '<a class="signin-to-act" href="/signin/?next=%2Fvarro%2F">Sign in to follow</a>' in page
    refused = await crixus.post("/varro/follow/", data={})  # no CSRF token
    assert refused.status_code == 403
    assert (await post_form(crixus, "/nobody/follow/")).status_code == 404


async def test_the_user_page_escapes_what_users_write(client, services):
    await make_user(services, "nero", display_name=XSS, biog=XSS, city=XSS)
    page = (await client.get("/nero/")).text
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_user_page_addresses(client, services):
    await make_user(services, "Varro")
    assert (await client.get("/nobody/")).status_code == 404
    response = await client.get("/Varro")
    assert response.status_code == 301 and response.headers["location"] == "/Varro/"
    response = await client.get("/varro/?until=1")
    assert response.status_code == 301 and response.headers["location"] == "/Varro/?until=1"


# ---- tags, cities and the site-wide lists


@pytest.fixture
async def shows(services: Services) -> dict[str, int]:
    """Funk and disco shows in Athens and in Capua, with favorites ranking some."""
    athens = await make_user(services, "athenian", city="Athens")
    capua = await make_user(services, "capuan", city="Capua")
    fans = [await make_user(services, f"fan{n}") for n in range(3)]
    now = now_us()
    made = [
        ("athens funk", athens, "Athens Funk", ("Funk",), "public"),
        ("athens disco", athens, "Athens Disco", ("Disco",), "public"),
        ("capua funk", capua, "Capua Funk", ("Funk",), "public"),
        ("capua draft", capua, "Capua Draft", ("Funk",), "draft"),
    ]
    ids = {}
    for n, (label, owner, name, tags, visibility) in enumerate(made):
        ids[label], _ = await make_show(
            services, owner, name, now - 40 + n, tags=tags, visibility=visibility
        )
    async with services.db.transaction() as tx:
        for fan in fans:  # Capua Funk is the most favorited, then Athens Funk
            await FAVORITES.add(tx, fan, ids["capua funk"], now)
        await FAVORITES.add(tx, fans[0], ids["athens funk"], now)
        await FAVORITES.add(tx, fans[0], ids["capua draft"], now)
    await refresh_scores(services.db, now)
    return ids


@pytest.mark.parametrize("prefix", ["genres", "discover", "tag"])
async def test_a_tags_page_has_popular_hot_and_new_tabs(client, shows, prefix):
    response = await client.get(f"/{prefix}/funk/")
    assert response.status_code == 200
    page = response.text
    assert '<h1 id="list-title">Funk shows</h1>' in page
    assert show_names(page) == ["Capua Funk", "Athens Funk"]  # popular: by score
    assert f'<a href="/{prefix}/funk/" aria-current="page">Popular</a>' in page
    assert f'<a href="/{prefix}/funk/?order=hot">Hot</a>' in page
    assert show_names((await client.get(f"/{prefix}/funk/?order=hot")).text) == [
        "Capua Funk",
        "Athens Funk",
    ]
    page = (await client.get(f"/{prefix}/funk/?order=new")).text
    assert show_names(page) == ["Capua Funk", "Athens Funk"]  # newest first; no drafts
    assert f'<a href="/{prefix}/funk/?order=new" aria-current="page">New</a>' in page


async def test_the_pages_list_what_the_api_lists(client, shows):
    for page_path, api_path in [
        ("/genres/funk/", "/genres/funk/popular/"),
        ("/genres/funk/?order=new", "/genres/funk/new/"),
        ("/discover/city:athens/?order=new", "/genres/city:athens/new/"),
        ("/popular/", "/popular/"),
        ("/popular/hot/", "/popular/hot/"),
        ("/new/", "/new/"),
    ]:
        page = (await client.get(page_path)).text
        api = (await client.get("/api" + api_path)).json()
        assert show_names(page) == [show["name"] for show in api["data"]], page_path


async def test_city_pages(client, shows):
    page = (await client.get("/discover/city:athens/?order=new")).text
    assert '<h1 id="list-title">Shows in Athens</h1>' in page
    assert show_names(page) == ["Athens Disco", "Athens Funk"]
    page = (await client.get("/discover/funk+city:athens/?order=new")).text
    assert '<h1 id="list-title">Funk shows in Athens</h1>' in page
    assert show_names(page) == ["Athens Funk"]
    page = (await client.get("/genres/funk+city:capua/")).text
    assert show_names(page) == ["Capua Funk"]


async def test_site_wide_lists(client, shows):
    page = (await client.get("/popular/")).text
    assert '<h1 id="list-title">Popular Cloudcasts</h1>' in page
    assert show_names(page) == ["Capua Funk", "Athens Funk"]
    assert '<a href="/popular/hot/">Hot</a>' in page
    assert show_names((await client.get("/popular/hot/")).text) == ["Capua Funk", "Athens Funk"]
    page = (await client.get("/new/")).text
    assert show_names(page) == ["Capua Funk", "Athens Disco", "Athens Funk"]
    assert '<a href="/new/" aria-current="page">New</a>' in page
    response = await client.get("/popular")
    assert response.status_code == 301 and response.headers["location"] == "/popular/"


async def test_list_pages_page(client, services):
    owner = await make_user(services, "varro")
    fans = [await make_user(services, f"fan{n}") for n in range(25)]
    now = now_us()
    ids = [(await make_show(services, owner, f"Mix {n}", now - 100 + n, tags=("Funk",)))[0]
           for n in range(25)]  # fmt: skip
    async with services.db.transaction() as tx:
        for n, show_id in enumerate(ids):  # Mix n has n + 1 favorites
            for fan in fans[: n + 1]:
                await FAVORITES.add(tx, fan, show_id, now)
    await refresh_scores(services.db, now)
    page = (await client.get("/genres/funk/")).text
    assert show_names(page) == [f"Mix {n}" for n in range(24, 4, -1)]
    assert link(page, "prev") is None and link(page, "next") == "/genres/funk/?page=2"
    page = (await client.get("/genres/funk/?page=2")).text
    assert show_names(page) == [f"Mix {n}" for n in range(4, -1, -1)]
    assert link(page, "prev") == "/genres/funk/" and link(page, "next") is None
    page = (await client.get("/genres/funk/?order=new")).text
    older = link(page, "next")
    assert older is not None and older.startswith("/genres/funk/?order=new&until=")
    page = (await client.get(older)).text
    assert show_names(page) == [f"Mix {n}" for n in range(4, -1, -1)]
    assert link(page, "prev") == "/genres/funk/?order=new"
    assert (link((await client.get("/new/")).text, "next") or "").startswith("/new/?until=")
    page = (await client.get("/popular/?page=2")).text
    assert link(page, "prev") == "/popular/" and len(show_names(page)) == 5


async def test_list_page_errors(client, shows):
    for path, status in [
        ("/genres/nothing/", 404),
        ("/discover/city:nowhere/", 404),
        ("/genres/funk+city:nowhere/", 404),
        ("/genres/a+b/", 404),
        ("/genres/funk/?order=loudest", 400),
        ("/genres/funk/?page=0", 400),
        ("/genres/funk/?page=x", 400),
        ("/popular/?page=99999999999", 400),
        ("/new/?until=soon", 400),
    ]:
        response = await client.get(path)
        assert response.status_code == status, path
        assert f"<h1>{status}</h1>" in response.text


async def test_tag_names_are_escaped(client, services):
    owner = await make_user(services, "nero")
    await make_show(services, owner, XSS, tags=(XSS,))
    page = (await client.get("/new/")).text
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    found = re.search(r'href="http://testserver(/genres/[^"]+/)">&lt;script', page)
    assert found
    tag_page = await client.get(found.group(1) + "?order=new")
    assert tag_page.status_code == 200 and XSS not in tag_page.text


# ---- deep links


def app_with(services: Services, **settings: object) -> httpx.AsyncClient:
    served = replace(services, settings=replace(services.settings, **settings))
    transport = httpx.ASGITransport(app=MixcastApp(served.settings, served))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_app_link_files_from_the_configuration(services):
    android = (AndroidApp("com.example.mixcast", (FINGERPRINT,)),)
    async with app_with(services, apple_app_ids=("ABCDE12345.com.example.mixcast",),
                        android_apps=android) as client:  # fmt: skip
        apple = await client.get("/.well-known/apple-app-site-association")
        assert apple.status_code == 200
        assert apple.headers["content-type"] == "application/json"
        assert apple.json() == {
            "applinks": {
                "apps": [],
                "details": [{"appID": "ABCDE12345.com.example.mixcast", "paths": ["*"]}],
            }
        }
        links = await client.get("/.well-known/assetlinks.json")
        assert links.status_code == 200
        assert links.headers["content-type"] == "application/json"
        assert links.json() == [
            {
                "relation": ["delegate_permission/common.handle_all_urls"],
                "target": {
                    "namespace": "android_app",
                    "package_name": "com.example.mixcast",
                    "sha256_cert_fingerprints": [FINGERPRINT],
                },
            }
        ]


async def test_app_link_files_are_404_when_not_configured(client):
    for path in ("/.well-known/apple-app-site-association", "/.well-known/assetlinks.json"):
        response = await client.get(path)
        assert response.status_code == 404 and "<h1>404</h1>" in response.text


def test_app_link_settings_from_the_environment():
    settings = Settings.from_env({
        "MIXCAST_APPLE_APP_IDS": " ABCDE12345.com.example.app , 12345ABCDE.com.example.beta",
        # A package twice: a signing-key rotation; fingerprints are read in either case.
        "MIXCAST_ANDROID_APPS": f"com.example.app@{FINGERPRINT.lower()}, com.example.app@{ROTATED}",
    })  # fmt: skip
    assert settings.apple_app_ids == ("ABCDE12345.com.example.app", "12345ABCDE.com.example.beta")
    assert settings.android_apps == (AndroidApp("com.example.app", (FINGERPRINT, ROTATED)),)
    assert Settings.from_env({}).apple_app_ids == () and Settings.from_env({}).android_apps == ()
    for name, value in [
        ("MIXCAST_APPLE_APP_IDS", "com.example.app"),  # no Team ID
        ("MIXCAST_APPLE_APP_IDS", "abcde12345.com.example.app"),
        ("MIXCAST_ANDROID_APPS", "com.example.app"),  # no fingerprint
        ("MIXCAST_ANDROID_APPS", "com.example.app@AA:BB"),
        ("MIXCAST_ANDROID_APPS", f"app@{FINGERPRINT}"),  # a package has a dot
    ]:
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: value})


# ---- the stylesheet


async def test_pages_link_the_stylesheet(client):
    page = (await client.get("/new/")).text
    found = re.search(
        r'<link rel="stylesheet" href="(/media/css/site\.css\?v=[0-9a-f]{12})">', page
    )
    assert found
    css = await client.get(found.group(1))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"] and b".show-card" in css.content
    stale = await client.get("/media/css/site.css?v=000000000000")
    assert "immutable" not in stale.headers["cache-control"]


# ---- what is not a user page


async def test_fixed_paths_and_non_usernames_are_not_user_pages(client, services):
    await make_user(services, "varro")
    # /signout/ is POST-only: its own route answers a GET, not a user page called "signout".
    assert (await client.get("/signout/")).status_code == 405
    for path in ("/favicon.ico", "/robots.txt", "/a.b", "/settings/nothing/"):
        response = await client.get(path)
        assert response.status_code == 404, path  # no redirect to a slashed path
    assert (await client.get("/varro")).status_code == 301
