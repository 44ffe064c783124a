"""The single objects as a client sees them: look-up rules, keys and urls, visibility, hidden
stats, tags and cities, and the pictures the objects point at (wire-format.md §2.6, §3).

The tests only read: one database, seeded once, serves the module (``tests.api.readonly``)."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from PIL import Image

from mixcast.pictures.store import store_picture
from mixcast.services import Services
from mixcast.shows.engagement import FAVORITES, REPOSTS, add_comment, record_listen
from tests.api.readonly import client_for, readonly_services
from tests.conftest import api_get, assert_api_error
from tests.factories import T0, make_show, make_user

pytestmark = pytest.mark.anyio

SITE = "http://testserver"  # the client fixture's site URL
API = "http://testserver/api"
NOT_FOUND = "ResourceNotFoundException"

# wire-format.md §3.1, written out here so the test does not trust mixcast's own table.
USER_SIZES = {
    "small": 25,
    "thumbnail": 50,
    "medium_mobile": 80,
    "medium": 100,
    "large": 300,
    "320wx320h": 320,
    "extra_large": 600,
    "640wx640h": 640,
}
SHOW_SIZES = {**USER_SIZES, "768wx768h": 768, "1024wx1024h": 1024}
COVER_SIZES = {"835wx120h": (835, 120), "1113wx160h": (1113, 160), "1670wx240h": (1670, 240)}


def square(sizes: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {k: (v, v) for k, v in sizes.items()}


async def ok(client: httpx.AsyncClient, path: str, **params) -> dict:
    response = await api_get(client, path, **params)
    assert response.status_code == 200, (path, response.text)
    return response.json()


VISIBILITY_CASES = [
    ("public", "ready", True),
    ("unlisted", "ready", True),
    ("draft", "ready", False),
    ("scheduled", "ready", False),
    ("public", "received", False),
    ("public", "processing", False),
    ("public", "failed", False),
    ("unlisted", "processing", False),
    ("unlisted", "failed", False),
]
STATS = ("play_count", "favorite_count", "listener_count", "repost_count")


def _png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


async def _engage(services: Services, show_id: int, prefix: str) -> None:
    """Two fans each favorite, repost and play twice; one comments."""
    fans = [await make_user(services, f"{prefix}{i}") for i in range(2)]
    async with services.db.transaction() as tx:
        for i, fan in enumerate(fans):
            await FAVORITES.add(tx, fan, show_id, T0)
            await REPOSTS.add(tx, fan, show_id, T0)
            await record_listen(tx, show_id, user_id=fan, listener=f"{prefix}{i}", now=T0)
            await record_listen(tx, show_id, user_id=fan, listener=f"{prefix}{i}", now=T0)
        await add_comment(tx, fans[0], "Nice", T0, show_id=show_id)


async def seed(services: Services) -> None:
    nts = await make_user(services, "NTSRadio", display_name="NTS Radio")
    await make_show(services, nts, "Knee Deep")

    spartacus = await make_user(services, "spartacus", city="Athens")
    await make_show(services, spartacus, "Party Time", tags=["Funk", "Deep House"])
    hidden_id, _ = await make_show(services, spartacus, "Hidden", hide_stats=True)
    shown_id, _ = await make_show(services, spartacus, "Shown")
    await _engage(services, hidden_id, "a")
    await _engage(services, shown_id, "b")

    curator = await make_user(services, "curator")
    for visibility, status, _ in VISIBILITY_CASES:
        publish_at = T0 + 86_400_000_000 if visibility == "scheduled" else None
        await make_show(
            services, curator, f"{visibility} {status}", visibility=visibility, status=status,
            publish_at=publish_at,
        )  # fmt: skip

    akuma = await make_user(services, "AkumaDJ")
    await make_show(services, akuma, "Bon dimanche à tous")

    dj = await make_user(services, "dj", city="São Paulo")
    await make_show(services, dj, "Mix", tags=["Électro"])
    await make_show(services, dj, "DJ _Set at İstanbul", tags=["Hip_Hop"])

    async with services.db.transaction() as tx:
        profile = await store_picture(
            tx, services.store, _png((400, 300), (255, 0, 0)), "profile", T0
        )
        cover = await store_picture(
            tx, services.store, _png((2000, 200), (0, 0, 255)), "profile_cover", T0
        )
        artwork = await store_picture(
            tx, services.store, _png((300, 500), (0, 255, 0)), "extaudio", T0
        )
    painter = await make_user(services, "painter", picture_id=profile, cover_picture_id=cover)
    await make_show(services, painter, "Canvas", picture_id=artwork)


@pytest.fixture(scope="module")
async def client(
    template_db: str, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """Overrides the conftest ``client`` for this module: one seeded, read-only database."""
    data_dir = tmp_path_factory.mktemp("objects")
    async with (
        readonly_services(template_db, media_dir, data_dir, seed) as services,
        client_for(services) as client,
    ):
        yield client


# ------------------------------------------------------------------ users


async def test_user_lookup_ignores_case_and_the_key_keeps_the_stored_case(client):
    for asked in ("NTSRadio", "ntsradio", "NTSRADIO", "nTsRaDiO"):
        body = await ok(client, f"/{asked}/")
        assert body["username"] == "NTSRadio"
        assert body["key"] == "/NTSRadio/"
        assert body["url"] == SITE + "/NTSRadio/"
        assert body["name"] == "NTS Radio"


async def test_show_lookup_ignores_the_case_of_the_username(client):
    body = await ok(client, "/ntsradio/knee-deep/")
    assert body["key"] == "/NTSRadio/knee-deep/"
    assert body["user"]["key"] == "/NTSRadio/"
    assert body["user"]["username"] == "NTSRadio"


async def test_unknown_user_and_show_are_404(client):
    assert_api_error(await api_get(client, "/nobody/"), status=404, type=NOT_FOUND)
    assert_api_error(await api_get(client, "/nobody/party-time/"), status=404, type=NOT_FOUND)
    assert_api_error(await api_get(client, "/spartacus/no-such-show/"), status=404, type=NOT_FOUND)
    assert_api_error(await api_get(client, "/ntsradio/party-time/"), status=404, type=NOT_FOUND)


async def test_url_is_the_site_url_and_the_api_serves_the_same_key(client):
    for path in ("/spartacus/", "/spartacus/party-time/"):
        body = await ok(client, path)
        assert body["url"] == SITE + body["key"]
        again = await client.get(API + body["key"])
        assert again.status_code == 200 and again.json() == body


# ------------------------------------------------------------------ Unicode slugs and keys


async def test_unicode_slug_is_raw_and_the_key_percent_encoded(client):
    body = await ok(client, "/akumadj/bon-dimanche-%C3%A0-tous/")
    assert body["slug"] == "bon-dimanche-à-tous"
    assert body["key"] == "/AkumaDJ/bon-dimanche-%C3%A0-tous/"
    assert body["url"] == SITE + "/AkumaDJ/bon-dimanche-%C3%A0-tous/"
    assert body["name"] == "Bon dimanche à tous"


async def test_unicode_show_is_found_by_its_key_raw_and_decomposed(client):
    key = "/AkumaDJ/bon-dimanche-%C3%A0-tous/"
    assert (await client.get(API + key)).status_code == 200  # the key, as the API gave it
    raw = await client.get(API + "/AkumaDJ/bon-dimanche-à-tous/")  # httpx encodes it
    assert raw.status_code == 200
    nfd = await client.get(API + "/AkumaDJ/bon-dimanche-a%CC%80-tous/")  # a + combining grave
    assert nfd.status_code == 200
    assert nfd.json()["key"] == key


async def test_unicode_tag_key_is_percent_encoded_and_found(client):
    show = await ok(client, "/dj/mix/")
    assert show["tags"] == [
        {"key": "/genres/%C3%A9lectro/", "url": SITE + "/genres/%C3%A9lectro/", "name": "Électro"}
    ]
    tag = await ok(client, "/genres/%C3%A9lectro/")
    assert tag == await ok(client, "/genres/e%CC%81lectro/")  # decomposed é finds it too
    assert tag == {
        "key": "/genres/%C3%A9lectro/",
        "url": SITE + "/genres/%C3%A9lectro/",
        "name": "Électro shows",
    }


async def test_unicode_city_and_odd_names_give_clean_keys(client):
    slug = "dj-set-at-i̇stanbul"  # one hyphen per gap; İ lower-cases to i + U+0307
    show = await ok(client, "/dj/" + quote(slug) + "/")
    assert show["slug"] == slug
    assert show["tags"][0]["key"] == "/genres/hip-hop/"
    city = await ok(client, "/genres/city:s%C3%A3o-paulo/")
    assert city == {
        "key": "/genres/city:s%C3%A3o-paulo/",
        "url": SITE + "/genres/city:s%C3%A3o-paulo/",
        "name": "Shows in São Paulo",
    }
    both = await ok(client, "/genres/hip-hop+city:s%C3%A3o-paulo/")
    assert both["key"] == "/genres/hip-hop+city:s%C3%A3o-paulo/"
    assert both["name"] == "Hip_Hop shows in São Paulo"


# ------------------------------------------------------------------ visibility


async def test_who_sees_a_show_by_its_key(client):
    for visibility, status, visible in VISIBILITY_CASES:
        response = await api_get(client, f"/curator/{visibility}-{status}/")
        if visible:
            assert response.status_code == 200, (visibility, status)
            assert response.json()["key"] == f"/curator/{visibility}-{status}/"
        else:
            assert_api_error(response, status=404, type=NOT_FOUND)


async def test_cloudcast_count_counts_only_public_ready_shows(client):
    assert (await ok(client, "/curator/"))["cloudcast_count"] == 1
    assert (await ok(client, "/spartacus/"))["cloudcast_count"] == 3


# ------------------------------------------------------------------ hidden stats


async def test_hide_stats_renders_the_counts_as_zero_ints(client):
    shown = await ok(client, "/spartacus/shown/")
    assert {k: shown[k] for k in STATS} == {
        "play_count": 4,
        "favorite_count": 2,
        "listener_count": 2,
        "repost_count": 2,
    }
    hidden = await ok(client, "/spartacus/hidden/")
    for key in STATS:
        assert type(hidden[key]) is int and hidden[key] == 0, key
    # The docs hide play, favorite and repost counts; comments stay visible.
    assert shown["comment_count"] == hidden["comment_count"] == 1


# ------------------------------------------------------------------ tags and cities


async def test_tag_city_and_tag_city_objects(client):
    cases = [
        ("funk", "/genres/funk/", "Funk shows"),
        ("deep-house", "/genres/deep-house/", "Deep House shows"),
        ("city:athens", "/genres/city:athens/", "Shows in Athens"),
        ("funk+city:athens", "/genres/funk+city:athens/", "Funk shows in Athens"),
    ]
    for spec, key, name in cases:
        body = await ok(client, f"/genres/{spec}/")
        assert body == {"key": key, "url": SITE + key, "name": name}


async def test_discover_and_tag_aliases_give_the_same_body(client):
    for spec in ("funk", "city:athens", "funk+city:athens"):
        for params in ({}, {"metadata": "1"}):
            bodies = [
                await ok(client, f"/{prefix}/{spec}/", **params)
                for prefix in ("genres", "discover", "tag")
            ]
            assert bodies[0] == bodies[1] == bodies[2], (spec, params)


async def test_tag_connections_are_lists_under_the_tag_key(client):
    body = await ok(client, "/tag/funk+city:athens/", metadata=1)
    connections = body["metadata"]["connections"]
    assert {"popular", "hot", "new", "latest"} <= set(connections)
    for name, url in connections.items():
        assert url == f"{API}/genres/funk+city:athens/{name}/"


UNKNOWN_SPECS = [
    "soul", "city:paris", "soul+city:athens", "funk+city:paris", "city:funk", "athens", "funky",
    "funk+city:athens+city:athens",
]  # fmt: skip
MALFORMED_SPECS = [
    "city:", "+city:athens", "funk+", "a:b", "funk+city:", "city:athens+funk", "+", ":",
    "funk:athens", "city:+", "funk++city:athens",
]  # fmt: skip


async def test_unknown_and_malformed_tag_specs_are_404(client):
    wrong = []
    for spec in UNKNOWN_SPECS + MALFORMED_SPECS:
        for prefix in ("genres", "discover", "tag"):
            response = await api_get(client, f"/{prefix}/{spec}/")
            try:
                assert_api_error(response, status=404, type=NOT_FOUND)
            except AssertionError:
                wrong.append((prefix, spec, response.status_code))
    assert wrong == []


# ------------------------------------------------------------------ pictures


async def _assert_served_at_size(
    client: httpx.AsyncClient, pictures: dict[str, str], sizes: dict[str, tuple[int, int]]
) -> None:
    assert set(pictures) == set(sizes)
    for key, url in pictures.items():
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == SITE, url
        response = await client.get(parts.path)
        assert response.status_code == 200, url
        assert response.headers["content-type"] == "image/jpeg"
        cache = response.headers["cache-control"]
        max_age = re.search(r"max-age=(\d+)", cache)
        assert max_age and int(max_age.group(1)) >= 30 * 86_400, cache
        image = Image.open(io.BytesIO(response.content))
        assert image.format == "JPEG"
        assert image.size == sizes[key], (key, url)


async def test_default_pictures_are_served_at_their_sizes(client):
    user = await ok(client, "/spartacus/")
    show = await ok(client, "/spartacus/party-time/")
    await _assert_served_at_size(client, user["pictures"], square(USER_SIZES))
    await _assert_served_at_size(client, user["cover_pictures"], COVER_SIZES)
    await _assert_served_at_size(client, show["pictures"], square(SHOW_SIZES))
    assert show["user"]["pictures"] == user["pictures"]


async def test_stored_pictures_are_served_at_their_sizes_with_their_colour(client):
    user = await ok(client, "/painter/")
    show = await ok(client, "/painter/canvas/")
    for pictures in (user["pictures"], user["cover_pictures"], show["pictures"]):
        assert "default" not in " ".join(pictures.values())
    assert user["picture_primary_color"] == "ff0000"
    assert show["picture_primary_color"] == "00ff00"
    assert show["user"]["pictures"] == user["pictures"]
    await _assert_served_at_size(client, user["pictures"], square(USER_SIZES))
    await _assert_served_at_size(client, user["cover_pictures"], COVER_SIZES)
    await _assert_served_at_size(client, show["pictures"], square(SHOW_SIZES))


async def test_pictures_that_do_not_exist_are_404(client):
    for path in (
        "/media/pictures/default-profile/26x26.jpg",
        "/media/pictures/0123456789abcdef0123456789abcdef/25x25.jpg",
        "/media/pictures/default-profile/25x25.png",
        "/media/pictures/..%2F..%2Fsecret/25x25.jpg",
        "/media/pictures/default-profile/..%2F..%2Fmixcast.db",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert not response.headers["content-type"].startswith("image/")
