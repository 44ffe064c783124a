"""Every list as a client sees it (wire-format.md §4): the envelope and its names, the item
shapes, paging by date and by offset, what never appears in a list, and the cost of a page.

Most tests only read one seeded database (``tests.api.readonly``); the tests of items that
arrive while a client pages write, and use the per-test ``client``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mixcast.accounts.follows import follow_user
from mixcast.db import database as database_module
from mixcast.ranking.job import refresh_scores
from mixcast.services import Services
from mixcast.shows.engagement import FAVORITES, REPOSTS, add_comment, record_listen
from mixcast.shows.playlists import add_to_playlist, create_playlist
from mixcast.shows.shows import Section
from tests.api.readonly import client_for, readonly_services
from tests.api.recorded import cassette_body, load_json
from tests.conftest import api_get, assert_api_error
from tests.factories import T0, make_show, make_user

pytestmark = pytest.mark.anyio

API = "http://testserver/api"
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
N_SHOWS = 30  # spartacus's public shows, one an hour from T0
N_FANS = 30
TIED = T0 + 20 * DAY  # bob favourites 25 shows in the same microsecond
NOW = T0 + 21 * DAY
HIDDEN = ("secret-mix", "draft-mix", "raw-mix", "later-mix")


async def seed(services: Services) -> None:
    db = services.db
    spartacus = await make_user(services, "spartacus", city="Athens")
    bob = await make_user(services, "bob")
    carol = await make_user(services, "carol", city="Athens")
    fans = [await make_user(services, f"fan{i:02d}") for i in range(N_FANS)]
    shows = []
    for i in range(N_SHOWS):
        name = "Party Time" if i == 0 else f"Mix {i:02d}"
        tags = ["Funk"] if i % 2 == 0 else ["House"]
        sections = [Section(artist="Chic", song="Le Freak", start_time=0)] if i == 0 else []
        shows.append(
            await make_show(services, spartacus, name, now=T0 + i * HOUR, tags=tags,
                            sections=sections)
        )  # fmt: skip
    hidden = [
        await make_show(services, spartacus, "Secret Mix", now=T0, visibility="unlisted",
                        tags=["Funk"]),
        await make_show(services, spartacus, "Draft Mix", now=T0, visibility="draft",
                        tags=["Funk"]),
        await make_show(services, spartacus, "Raw Mix", now=T0, status="received",
                        tags=["Funk"]),
        await make_show(services, spartacus, "Later Mix", now=T0, visibility="scheduled",
                        tags=["Funk"]),
    ]  # fmt: skip
    bob_show, _ = await make_show(services, bob, "Bob Funk", now=T0 + 2 * DAY, tags=["Funk"])
    async with db.transaction() as tx:
        for i, fan in enumerate(fans):
            # The last five follow in one microsecond: ties the paging must keep apart.
            at = T0 + DAY + min(i, 25) * MINUTE
            await follow_user(tx, fan, spartacus, at)
        await follow_user(tx, spartacus, bob, T0 + DAY)
        await follow_user(tx, spartacus, carol, T0 + DAY + SECOND)
        for show_id, _ in shows[:25]:
            await FAVORITES.add(tx, bob, show_id, TIED)
        for show_id, _ in hidden:
            await FAVORITES.add(tx, bob, show_id, TIED + SECOND)
            await REPOSTS.add(tx, carol, show_id, TIED + SECOND)
            await record_listen(tx, show_id, user_id=bob, listener=f"u:{bob}", now=TIED)
        for n, (show_id, _) in enumerate(shows[:3]):
            await REPOSTS.add(tx, carol, show_id, T0 + 3 * DAY + n * HOUR)
            await FAVORITES.add(tx, spartacus, bob_show, T0 + 3 * DAY)
        for n in range(5):
            show_id = shows[n][0]
            await record_listen(tx, show_id, user_id=bob, listener=f"u:{bob}",
                                now=T0 + 4 * DAY + n * HOUR)  # fmt: skip
            await record_listen(tx, show_id, user_id=None, listener=f"a:{n}", now=NOW - HOUR)
        await record_listen(tx, shows[0][0], user_id=carol, listener=f"u:{carol}",
                            now=T0 + 5 * DAY)  # fmt: skip
        await record_listen(tx, shows[0][0], user_id=spartacus, listener=f"u:{spartacus}",
                            now=T0 + 6 * DAY)  # fmt: skip
        await record_listen(tx, bob_show, user_id=spartacus, listener=f"u:{spartacus}",
                            now=T0 + 6 * DAY)  # fmt: skip
        await add_comment(tx, carol, "Great set!", T0 + 5 * DAY, show_id=shows[0][0])
        await add_comment(tx, bob, "Tune at 12:00", T0 + 5 * DAY + HOUR, show_id=shows[0][0])
        await add_comment(tx, carol, "Thanks for the follow", T0 + 5 * DAY, profile_id=spartacus)
        playlist, _ = await create_playlist(tx, spartacus, "Best Of", T0 + 7 * DAY)
        for show_id, _ in (shows[5], shows[1], hidden[0], shows[9]):
            await add_to_playlist(tx, playlist, show_id, T0 + 7 * DAY)
    await refresh_scores(db, NOW)


@pytest.fixture(scope="module")
async def seeded(
    template_db: str, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    data_dir = tmp_path_factory.mktemp("lists")
    async with (
        readonly_services(template_db, media_dir, data_dir, seed) as services,
        client_for(services) as client,
    ):
        yield client


async def get(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await api_get(client, path, **params)
    assert response.status_code == 200, (path, response.text)
    assert response.headers["access-control-allow-origin"] == "*"
    body: dict[str, Any] = response.json()
    return body


async def follow(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    assert url.startswith(API + "/"), url
    response = await client.get(url)
    assert response.status_code == 200, (url, response.text)
    body: dict[str, Any] = response.json()
    return body


async def walk(client: httpx.AsyncClient, path: str, **params: Any) -> list[str]:
    """Every item's key, following ``next`` from the first page to the last."""
    body = await get(client, path, **params)
    keys = [item_key(i) for i in body["data"]]
    pages = 1
    while "next" in body["paging"]:
        body = await follow(client, body["paging"]["next"])
        keys += [item_key(i) for i in body["data"]]
        pages += 1
        assert pages < 100, "next never ends"
    assert body["data"], "the last page, the one without next, is not empty"
    return keys


def item_key(item: dict[str, Any]) -> str:
    return str(item["key"] if "key" in item else item["cloudcasts"][0]["key"])


# ------------------------------------------------------------------ the envelope

USER_LIST_NAMES = {
    "cloudcasts": "Spartacus's Cloudcasts",
    "favorites": "Spartacus's favorites",
    "listens": "Spartacus's listens",
    "followers": "Spartacus's followers",
    "following": None,
    "comments": "Comments on Spartacus's profile",
    "playlists": "Spartacus's playlists",
    "feed": "Spartacus's feed",
}
OTHER_LISTS = {
    "/spartacus/party-time/listeners/": "Listeners of Party Time",
    "/spartacus/party-time/favorites/": "Favorites of Party Time",
    "/spartacus/party-time/reposts/": "Reposts of Party Time",
    "/spartacus/party-time/comments/": "Comments on Party Time",
    "/spartacus/party-time/similar/": "Shows similar to Party Time",
    "/spartacus/playlists/best-of/cloudcasts/": "Best Of",
    "/popular/": "Popular Cloudcasts",
    "/popular/hot/": "Hot Cloudcasts",
    "/new/": "New Cloudcasts",
    **{
        f"/{prefix}/{tag}/{connection}/": None
        for prefix in ("genres", "discover", "tag")
        for tag in ("funk", "city:athens", "funk+city:athens")
        for connection in ("popular", "hot", "new", "latest")
    },
}  # fmt: skip
ALL_LISTS = {**{f"/spartacus/{n}/": name for n, name in USER_LIST_NAMES.items()}, **OTHER_LISTS}


@pytest.mark.parametrize(("path", "name"), ALL_LISTS.items())
async def test_every_list_has_the_envelope_and_its_name(seeded, path, name) -> None:
    body = await get(seeded, path)
    assert isinstance(body["data"], list) and body["data"], path
    assert isinstance(body["paging"], dict)
    assert list(body)[:2] == ["data", "paging"]
    if name is None:
        assert "name" not in body  # following, tag lists (§4.1)
    else:
        assert body["name"] == name


async def test_metadata_lists_exactly_the_connections_that_answer(seeded) -> None:
    for path in ("/spartacus/", "/spartacus/party-time/", "/genres/funk/",
                 "/genres/city:athens/", "/spartacus/playlists/best-of/"):  # fmt: skip
        connections = (await get(seeded, path, metadata=1))["metadata"]["connections"]
        assert connections
        for url in connections.values():
            body = await follow(seeded, url)
            assert isinstance(body["data"], list)


async def test_an_empty_list_has_an_empty_paging_object(seeded) -> None:
    body = await get(seeded, "/fan00/cloudcasts/")
    assert body == {"data": [], "paging": {}, "name": "Fan00's Cloudcasts"}


@pytest.mark.parametrize(
    "path",
    ["/nobody/cloudcasts/", "/spartacus/no-such-show/listeners/", "/spartacus/secret-mix/x/",
     "/spartacus/draft-mix/listeners/", "/genres/no-such-tag/new/", "/genres/city:nowhere/hot/",
     "/spartacus/playlists/no-such-list/cloudcasts/", "/genres/funk/oldest/"],
)  # fmt: skip
async def test_lists_of_missing_things_are_404(seeded, path) -> None:
    assert_api_error(await api_get(seeded, path), status=404, type="ResourceNotFoundException")


# ------------------------------------------------------------------ item shapes


def recorded_item(name: str) -> dict[str, Any]:
    item: dict[str, Any] = cassette_body(f"mixcloud-rb-vcr-2018/{name}.yml")["data"][0]
    return item


@pytest.mark.parametrize(
    ("path", "recorded"),
    [("/spartacus/cloudcasts/", "cloudcasts"), ("/bob/favorites/", "favorites"),
     ("/bob/listens/", "listens"), ("/spartacus/followers/", "followers"),
     ("/spartacus/following/", "following"), ("/spartacus/comments/", "comments"),
     ("/spartacus/feed/", "feed"), ("/genres/funk/popular/", "popular")],
)  # fmt: skip
async def test_items_have_the_recorded_key_sets(seeded, path, recorded) -> None:
    ours = (await get(seeded, path))["data"][0]
    theirs = recorded_item(recorded)
    theirs.pop("type", None) if recorded != "feed" else None  # popular.yml asked metadata=1
    assert set(ours) == set(theirs)
    if recorded == "feed":
        assert set(ours["from"]) == set(theirs["from"])
        assert set(ours["cloudcasts"][0]) == set(theirs["cloudcasts"][0])


async def test_items_with_metadata_match_the_aiomixcloud_recordings(seeded) -> None:
    favorites = (await get(seeded, "/bob/favorites/", metadata=1))["data"][0]
    assert set(favorites) == set(load_json("aiomixcloud-2019/favorites.json")["data"][0])
    followers = (await get(seeded, "/spartacus/followers/", metadata=1))["data"][0]
    assert set(followers) == set(load_json("aiomixcloud-2019/followers.json")["data"][0])
    comment = (await get(seeded, "/spartacus/comments/", metadata=1))["data"][0]
    recorded = load_json("aiomixcloud-2019/comments.json")["data"][0]
    assert set(comment) == set(recorded)
    assert comment["type"] == "comment" and comment["user"]["type"] == "user"


async def test_the_feed_is_the_users_own_activity_newest_first(seeded) -> None:
    body = await get(seeded, "/spartacus/feed/", limit=100)
    kinds = [(i["type"], i["title"]) for i in body["data"]]
    assert set(kinds) == {("upload", "uploaded"), ("favorite", "favorited"),
                          ("listen", "listened to")}  # fmt: skip
    assert kinds[0] == ("listen", "listened to")  # T0 + 6 days: the newest thing spartacus did
    times = [i["created_time"] for i in body["data"]]
    assert times == sorted(times, reverse=True)
    assert all(i["from"]["username"] == "spartacus" for i in body["data"])
    assert len({i["key"] for i in body["data"]}) == len(body["data"])
    assert body["data"][0]["url"].startswith("http://testserver/spartacus/feed/#")
    carol = await get(seeded, "/carol/feed/")
    assert {i["type"] for i in carol["data"]} == {"repost", "listen"}
    # Reposting a hidden show left no trace in anyone's feed.
    assert all(i["cloudcasts"][0]["slug"] not in HIDDEN for i in carol["data"])


async def test_listens_carry_the_listen_time_newest_first(seeded) -> None:
    body = await get(seeded, "/bob/listens/")
    assert [i["slug"] for i in body["data"]] == ["mix-04", "mix-03", "mix-02", "mix-01",
                                                 "party-time"]  # fmt: skip
    assert body["data"][0]["listen_time"] == "2020-09-17T16:26:40Z"


async def test_show_lists_name_users_and_comments(seeded) -> None:
    listeners = await get(seeded, "/spartacus/party-time/listeners/")
    # Users only, newest first: anonymous listeners are counted, never listed.
    assert [u["username"] for u in listeners["data"]] == ["spartacus", "carol", "bob"]
    favorites = await get(seeded, "/spartacus/party-time/favorites/")
    assert [u["username"] for u in favorites["data"]] == ["bob"]
    reposts = await get(seeded, "/spartacus/party-time/reposts/")
    assert [u["username"] for u in reposts["data"]] == ["carol"]
    comments = await get(seeded, "/spartacus/party-time/comments/")
    assert [c["comment"] for c in comments["data"]] == ["Tune at 12:00", "Great set!"]
    assert comments["data"][0]["submit_date"] == "2020-09-18T13:26:40Z"


async def test_similar_shows_share_tags_or_listeners_and_never_the_show_itself(seeded) -> None:
    body = await get(seeded, "/spartacus/party-time/similar/", limit=100)
    slugs = [s["slug"] for s in body["data"]]
    assert slugs and "party-time" not in slugs
    assert not set(slugs) & set(HIDDEN)
    # Mix 01 shares listeners (bob) with Party Time; Bob Funk shares its Funk tag.
    assert {"mix-01", "bob-funk"} <= set(slugs)


async def test_playlists_and_their_shows_in_order(seeded) -> None:
    playlists = await get(seeded, "/spartacus/playlists/", metadata=1)
    (playlist,) = playlists["data"]
    assert playlist["key"] == "/spartacus/playlists/best-of/"
    assert playlist["cloudcast_count"] == 4  # counts its rows; the hidden one is not listed
    assert playlist["user"]["username"] == "spartacus"
    assert playlist["metadata"]["connections"] == {
        "cloudcasts": f"{API}/spartacus/playlists/best-of/cloudcasts/"
    }
    plain = (await get(seeded, "/spartacus/playlists/"))["data"][0]
    assert await get(seeded, "/spartacus/playlists/best-of/") == plain
    shows = await get(seeded, "/spartacus/playlists/best-of/cloudcasts/")
    assert [s["slug"] for s in shows["data"]] == ["mix-05", "mix-01", "mix-09"]


# ------------------------------------------------------------------ what never appears


@pytest.mark.parametrize(
    "path",
    ["/spartacus/cloudcasts/", "/bob/favorites/", "/bob/listens/", "/bob/feed/", "/carol/feed/",
     "/new/", "/popular/", "/popular/hot/", "/genres/funk/new/", "/genres/funk/popular/",
     "/genres/funk/hot/", "/genres/city:athens/new/", "/genres/funk+city:athens/new/",
     "/spartacus/playlists/best-of/cloudcasts/", "/bob/bob-funk/similar/"],
)  # fmt: skip
async def test_hidden_shows_never_appear_in_a_list(seeded, path) -> None:
    body = await get(seeded, path, limit=100)
    slugs = [(i["cloudcasts"][0] if "cloudcasts" in i else i)["slug"] for i in body["data"]]
    assert slugs
    assert not set(slugs) & set(HIDDEN), path


# ------------------------------------------------------------------ orders


async def test_new_lists_are_newest_published_first(seeded) -> None:
    new = await get(seeded, "/new/", limit=100)
    assert [s["slug"] for s in new["data"][:3]] == ["bob-funk", "mix-29", "mix-28"]
    assert len(new["data"]) == N_SHOWS + 1
    funk = await get(seeded, "/genres/funk/new/", limit=100)
    assert [s["slug"] for s in funk["data"][:3]] == ["bob-funk", "mix-28", "mix-26"]
    assert all("Funk" in [t["name"] for t in s["tags"]] for s in funk["data"])
    assert (await get(seeded, "/genres/funk/latest/", limit=100))["data"] == funk["data"]
    athens = await get(seeded, "/genres/city:athens/new/", limit=100)
    assert {s["user"]["username"] for s in athens["data"]} == {"spartacus"}
    both = await get(seeded, "/discover/funk+city:athens/new/", limit=100)
    assert [s["slug"] for s in both["data"]] == [s["slug"] for s in funk["data"][1:]]


async def test_popular_and_hot_rank_by_their_scores(seeded) -> None:
    popular = [s["slug"] for s in (await get(seeded, "/popular/", limit=100))["data"]]
    # Party Time: 3 user listens, an anonymous one, a favourite and a repost.
    assert popular[0] == "party-time"
    assert "mix-27" not in popular  # no activity in the window: not ranked at all
    hot = [s["slug"] for s in (await get(seeded, "/popular/hot/", limit=100))["data"]]
    assert hot and set(hot) <= set(popular)
    funk = [s["slug"] for s in (await get(seeded, "/genres/funk/popular/", limit=100))["data"]]
    assert funk == [s for s in popular if s in funk]


# ------------------------------------------------------------------ paging by date


@pytest.mark.parametrize(
    ("path", "count"),
    [("/spartacus/cloudcasts/", N_SHOWS), ("/spartacus/followers/", N_FANS),
     ("/bob/favorites/", 25), ("/new/", N_SHOWS + 1), ("/spartacus/feed/", N_SHOWS + 3),
     ("/genres/funk/new/", N_SHOWS // 2 + 1)],
)  # fmt: skip
async def test_following_next_visits_every_item_once(seeded, path, count) -> None:
    everything = [item_key(i) for i in (await get(seeded, path, limit=100))["data"]]
    assert len(everything) == count
    for limit in (1, 7, 10):
        assert await walk(seeded, path, limit=limit) == everything, limit


async def test_ties_in_one_microsecond_are_neither_skipped_nor_repeated(seeded) -> None:
    # All 25 favourites share one microsecond; the last five followers share another.
    favorites = await walk(seeded, "/bob/favorites/", limit=4)
    assert len(favorites) == len(set(favorites)) == 25
    followers = await walk(seeded, "/spartacus/followers/", limit=3)
    assert len(followers) == len(set(followers)) == N_FANS


async def test_previous_leads_back_to_the_newer_items(seeded) -> None:
    first = await get(seeded, "/spartacus/cloudcasts/", limit=5)
    second = await follow(seeded, first["paging"]["next"])
    back = await follow(seeded, second["paging"]["previous"])
    assert back["data"] == first["data"]
    assert "next" in back["paging"]
    # The first page has a previous link too (as Mixcloud's); it leads to nothing newer.
    newest = await follow(seeded, first["paging"]["previous"])
    assert newest["data"] == [] and newest["paging"] == {}


async def test_date_links_carry_the_list_time_and_other_parameters(seeded) -> None:
    response = await api_get(seeded, "/bob/favorites/", limit="2", metadata="1")
    paging = response.json()["paging"]
    for rel, bound in (("previous", "since"), ("next", "until")):
        parts = urlsplit(paging[rel])
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{API}/bob/favorites/"
        query = parse_qs(parts.query)
        assert query["limit"] == ["2"] and query["metadata"] == ["1"]
        # favourited at TIED (not when the show was made)
        assert query[bound][0].startswith(f"{TIED // SECOND}.{TIED % SECOND:06d}_")
    jsonp = await api_get(seeded, "/bob/favorites/", limit="2", callback="cb")
    assert "callback" not in jsonp.text.split("(", 1)[1]


@pytest.mark.parametrize(
    "until",
    ["1600007200", "2020-09-13 14:26:40", "2020-09-13+14:26:40", "2020-09-13%2014%3A26%3A40"],
)
async def test_until_takes_every_documented_spelling(seeded, until) -> None:
    # T0 + 2 hours: shows made before it are mix-01 and party-time.
    response = await seeded.get(f"/api/spartacus/cloudcasts/?until={until}")
    assert response.status_code == 200, response.text
    assert [s["slug"] for s in response.json()["data"]] == ["mix-01", "party-time"]
    assert "next" not in response.json()["paging"]


async def test_since_reads_the_items_just_after_the_bound(seeded) -> None:
    body = await get(seeded, "/spartacus/cloudcasts/", since=str(T0 // SECOND), limit=3)
    assert [s["slug"] for s in body["data"]] == ["mix-03", "mix-02", "mix-01"]
    assert "previous" in body["paging"] and "next" in body["paging"]
    newer = await follow(seeded, body["paging"]["previous"])
    assert [s["slug"] for s in newer["data"]] == ["mix-06", "mix-05", "mix-04"]


@pytest.mark.parametrize(
    "query",
    ["limit=ten", "limit=-1", "offset=abc", "since=yesterday", "until=2020-02-30+00:00:00",
     "since=1600000000&until=1500000000", "metadata=maybe"],
)  # fmt: skip
async def test_junk_paging_values_are_a_400_error_body(seeded, query) -> None:
    response = await seeded.get(f"/api/spartacus/cloudcasts/?{query}")
    assert_api_error(response, status=400, type="InvalidParameterException")


async def test_limit_defaults_to_20_and_is_clamped_to_100(seeded) -> None:
    body = await get(seeded, "/spartacus/followers/")
    assert len(body["data"]) == 20
    assert parse_qs(urlsplit(body["paging"]["next"]).query)["limit"] == ["20"]
    body = await get(seeded, "/new/", limit=500)
    assert len(body["data"]) == N_SHOWS + 1
    assert parse_qs(urlsplit(body["paging"]["previous"]).query)["limit"] == ["100"]


# ------------------------------------------------------------------ paging by offset


async def test_offset_mode_pages_by_position(seeded) -> None:
    first = await get(seeded, "/spartacus/cloudcasts/", limit=10, offset=0)
    assert first["paging"] == {"next": f"{API}/spartacus/cloudcasts/?limit=10&offset=10"}
    keys = await walk(seeded, "/spartacus/cloudcasts/", limit=10, offset=0)
    assert keys == [
        i["key"] for i in (await get(seeded, "/spartacus/cloudcasts/", limit=100))["data"]
    ]
    middle = await get(seeded, "/spartacus/cloudcasts/", limit=10, offset=25)
    assert len(middle["data"]) == 5
    assert middle["paging"] == {"previous": f"{API}/spartacus/cloudcasts/?limit=10&offset=15"}


async def test_an_offset_past_the_end_is_empty_with_only_previous(seeded) -> None:
    body = await get(seeded, "/spartacus/cloudcasts/", limit=100, offset=1000)
    assert body["data"] == []
    assert body["paging"] == {"previous": f"{API}/spartacus/cloudcasts/?limit=100&offset=900"}


async def test_ranked_lists_page_by_offset(seeded) -> None:
    body = await get(seeded, "/popular/", limit=2, metadata=1)
    assert body["paging"] == {"next": f"{API}/popular/?metadata=1&limit=2&offset=2"}
    walked = await walk(seeded, "/popular/", limit=2)
    assert walked == [s["key"] for s in (await get(seeded, "/popular/", limit=100))["data"]]


# ------------------------------------------------------------------ the cost of a page


@pytest.fixture
def query_count(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts every statement the app sends, on either database."""
    seen: list[str] = []
    for cls in (database_module._SQLiteConnection, database_module._PostgresConnection):
        for method in ("fetch_all", "fetch_one", "fetch_value", "execute"):
            original = getattr(cls, method)

            async def counted(self, query, params=None, _original=original):  # type: ignore[no-untyped-def]
                seen.append(query.text)
                return await _original(self, query, params)

            monkeypatch.setattr(cls, method, counted)
    return seen


@pytest.mark.parametrize(
    "path",
    ["/spartacus/followers/", "/spartacus/cloudcasts/", "/spartacus/feed/", "/new/",
     "/popular/", "/genres/funk/new/", "/bob/favorites/", "/spartacus/party-time/listeners/"],
)  # fmt: skip
async def test_a_page_costs_the_same_few_queries_whatever_its_size(
    seeded, query_count, path
) -> None:
    counts = {}
    for limit in (1, 5, 100):
        query_count.clear()
        body = await get(seeded, path, limit=limit)
        assert len(body["data"]) == min(limit, len(body["data"]))
        counts[limit] = len(query_count)
    assert counts[1] == counts[5] == counts[100], counts
    assert counts[100] <= 4, query_count


# ------------------------------------------------------------------ items arriving meanwhile


async def test_new_items_while_paging_are_never_repeated_or_skipped(client, services) -> None:
    owner = await make_user(services, "owner")
    for i in range(9):
        await make_show(services, owner, f"Old {i}", now=T0 + i * HOUR)
    first = (await api_get(client, "/owner/cloudcasts/", limit="4")).json()
    # Three shows arrive between two pages; the next pages still hold exactly the older ones.
    for i in range(3):
        await make_show(services, owner, f"New {i}", now=T0 + DAY + i * HOUR)
    seen = [s["slug"] for s in first["data"]]
    body = first
    while "next" in body["paging"]:
        body = (await client.get(body["paging"]["next"])).json()
        seen += [s["slug"] for s in body["data"]]
    assert seen == [f"old-{i}" for i in reversed(range(9))]
    newer = (await client.get(first["paging"]["previous"])).json()
    assert [s["slug"] for s in newer["data"]] == ["new-2", "new-1", "new-0"]
