"""The show page at the show's key: what it shows, who may see it, the link-preview meta, and
its Favorite / Repost / Listen later / Follow buttons (CSRF-checked forms calling the API's
domain functions)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from mixcast.accounts.users import get_user
from mixcast.services import Services
from mixcast.shows.engagement import record_listen
from mixcast.shows.listing import set_show_hosts
from mixcast.shows.shows import Section
from tests.conftest import api_get
from tests.factories import T0, make_show, make_token, make_user
from tests.web.helpers import CSRF_COOKIE, post_form, sign_in

pytestmark = pytest.mark.anyio

XSS = "<script>alert(1)</script>"
SHOW = "/varro/summer-mix/"
WIDGET = "http://testserver/widget/iframe/?hide_cover=1&feed=%2Fvarro%2Fsummer-mix%2F"
PAGE_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


class Head(HTMLParser):
    """The ``<meta>`` and ``<link>`` tags of a page, as a link preview reads them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.iframes: list[dict[str, str]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and "content" in values:
            self.meta[values.get("property") or values.get("name", "")] = values["content"]
        elif tag == "link":
            self.links.append(values)
        elif tag == "iframe":
            self.iframes.append(values)


def count(page: str, name: str) -> int | None:
    """A counter as the page shows it (``play``, ``favorite`` ...); None when not shown."""
    found = re.search(rf'id="{name}-count">(\d+)<', page)
    return int(found.group(1)) if found else None


def buttons(page: str) -> list[str]:
    """The labels of the page's own buttons (not the header's Sign out)."""
    main = page.split("<main>", 1)[1]
    return [html.unescape(b) for b in re.findall(r"<button[^>]*>([^<]+)</button>", main)]


@pytest.fixture
async def varro(services: Services, password_hash: str) -> int:
    return await make_user(services, "varro", display_name="Marcus Varro", city="Capua",
                           password_hash=password_hash)  # fmt: skip


@pytest.fixture
async def show(services: Services, varro: int) -> int:
    host = await make_user(services, "crassus", display_name="Crassus the Host")
    show_id, _ = await make_show(
        services,
        varro,
        "Summer Mix",
        description="Two hours of sun.\nRecorded live.",
        tags=("Funk", "Disco"),
        sections=(
            Section(artist="Chic", song="Good Times", start_time=0),
            Section(chapter="Interlude", start_time=65),
            Section(artist="Sister Sledge", song="Lost in Music", start_time=3725),
        ),
        audio_length=3900,
    )
    async with services.db.transaction() as tx:
        await set_show_hosts(tx, show_id, [host])
        await record_listen(tx, show_id, user_id=None, listener="a:one", now=T0)
        await record_listen(tx, show_id, user_id=None, listener="a:one", now=T0 + 1)
    return show_id


async def user_id(services: Services, username: str) -> int:
    async with services.db.reading() as conn:
        user = await get_user(conn, username)
    assert user is not None
    return int(user["id"])


# ---- what the page shows


async def test_the_page_shows_the_show(client, show):
    response = await client.get(SHOW)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    for name, value in PAGE_HEADERS.items():
        assert response.headers[name] == value
    page = response.text
    assert '<h1 id="show-name">Summer Mix</h1>' in page
    assert '<a id="show-owner" href="http://testserver/varro/">' in page and "Marcus Varro" in page
    assert '<a href="http://testserver/crassus/">Crassus the Host</a>' in page
    assert '<a href="http://testserver/genres/funk/">Funk</a>' in page
    assert '<a href="http://testserver/genres/disco/">Disco</a>' in page
    assert "Two hours of sun.\nRecorded live." in page
    tracklist = page.split('class="tracklist"')[1]
    lines = [" ".join(re.sub(r"<[^>]+>", " ", li).split())
             for li in re.findall(r"<li>(.*?)</li>", tracklist, re.S)]  # fmt: skip
    assert lines == [
        "0:00 Chic – Good Times",
        "1:05 Interlude",
        "1:02:05 Sister Sledge – Lost in Music",
    ]
    assert (count(page, "play"), count(page, "favorite"), count(page, "repost"),
            count(page, "listener")) == (2, 0, 0, 1)  # fmt: skip
    assert '<time datetime="2020-09-13T12:26:40Z">2020-09-13 12:26 UTC</time>' in page


async def test_the_player_is_the_widget_in_an_iframe(client, show):
    page = (await client.get(SHOW)).text
    (iframe,) = Head(page).iframes
    assert iframe["src"] == WIDGET
    assert iframe["height"] == "120" and iframe["width"] == "100%"


async def test_open_graph_twitter_and_oembed_discovery(client, show):
    head = Head((await client.get(SHOW)).text)
    url = "http://testserver/varro/summer-mix/"
    assert head.meta["og:title"] == "Summer Mix"
    assert head.meta["og:type"] == "music.song"
    assert head.meta["og:url"] == url
    assert head.meta["og:description"] == "Two hours of sun. Recorded live."
    assert head.meta["og:image"] == "http://testserver/media/pictures/default-extaudio/600x600.jpg"
    assert head.meta["twitter:card"] == "player"
    assert head.meta["twitter:player"] == WIDGET
    assert head.meta["twitter:player:height"] == "120"
    assert head.meta["twitter:player:width"].isdigit()
    oembed = {link["type"]: link for link in head.links if link.get("rel") == "alternate"}
    for kind, fmt in (("application/json+oembed", "json"), ("text/xml+oembed", "xml")):
        href = urlsplit(oembed[kind]["href"])
        assert (href.scheme, href.netloc, href.path) == ("http", "testserver", "/oembed/")
        assert parse_qs(href.query) == {"url": [url], "format": [fmt]}
        assert oembed[kind]["title"] == "Summer Mix"
    assert oembed["application/json+oembed"]["href"] == (
        "http://testserver/oembed/?url=http%3A%2F%2Ftestserver%2Fvarro%2Fsummer-mix%2F&format=json"
    )


async def test_a_long_description_is_shortened_for_previews(client, services, varro):
    await make_show(services, varro, "Long", description="word " * 100)
    description = Head((await client.get("/varro/long/")).text).meta["og:description"]
    assert len(description) <= 200 and description.endswith("…")


async def test_everything_user_written_is_escaped(client, services):
    owner = await make_user(services, "nero", display_name=XSS)
    await make_show(services, owner, XSS, description=XSS, tags=(XSS,),
                    sections=(Section(artist=XSS, song=XSS, start_time=1),))  # fmt: skip
    page = (await client.get("/nero/script-alert-1-script/")).text
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert Head(page).meta["og:title"] == XSS  # the parser unescapes: the text is intact


async def test_no_trailing_slash_redirects_and_other_spellings_go_to_the_key(client, show):
    response = await client.get("/varro/summer-mix")
    assert response.status_code == 301 and response.headers["location"] == SHOW
    response = await client.get("/VARRO/Summer-Mix/?x=1")
    assert response.status_code == 301 and response.headers["location"] == SHOW + "?x=1"


async def test_unknown_shows_and_users_are_the_sites_404(client, show):
    for path in ("/varro/nothing/", "/nobody/summer-mix/", "/varro/followers/x/"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "<h1>404</h1>" in response.text
        assert response.headers["x-frame-options"] == "DENY"


# ---- hidden stats and visibility


async def test_hidden_stats_are_shown_to_the_owner_alone(client, services, browser):
    owner_browser = await browser("varro")
    other_browser = await browser("crixus")
    show_id, _ = await make_show(services, await user_id(services, "varro"), "Quiet",
                                 hide_stats=True)  # fmt: skip
    async with services.db.transaction() as tx:
        await record_listen(tx, show_id, user_id=None, listener="a:one", now=T0)
    for visitor in (client, other_browser):
        page = (await visitor.get("/varro/quiet/")).text
        assert [count(page, n) for n in ("play", "favorite", "repost", "listener")] == [None] * 4
        assert "Plays" not in page
    page = (await owner_browser.get("/varro/quiet/")).text
    assert [count(page, n) for n in ("play", "favorite", "repost", "listener")] == [1, 0, 0, 1]
    assert "hidden from everyone but you" in page


@pytest.mark.parametrize(
    ("visibility", "status", "anonymous", "other", "owner"),
    [
        ("public", "ready", 200, 200, 200),
        ("unlisted", "ready", 200, 200, 200),
        ("draft", "ready", 404, 404, 200),
        ("scheduled", "ready", 404, 404, 200),
        ("public", "processing", 404, 404, 200),
        ("public", "failed", 404, 404, 200),
    ],
)
async def test_who_may_see_a_show(
    client, services, browser, visibility, status, anonymous, other, owner
):
    owner_browser = await browser("varro")
    other_browser = await browser("crixus")
    owner_id = await user_id(services, "varro")
    await make_show(services, owner_id, "Hidden", visibility=visibility, status=status)
    assert (await client.get("/varro/hidden/")).status_code == anonymous
    assert (await other_browser.get("/varro/hidden/")).status_code == other
    response = await owner_browser.get("/varro/hidden/")
    assert response.status_code == owner
    if (visibility, status) != ("public", "ready"):
        assert 'class="notice" role="note"' in response.text  # the owner is told why


# ---- the buttons


async def api_show(client: httpx.AsyncClient, token: str) -> dict[str, object]:
    response = await api_get(client, SHOW, access_token=token)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def press(client: httpx.AsyncClient, action: str, **fields: str) -> str:
    """Post a button's form as the page has it; follow the redirect back; the page."""
    response = await post_form(client, f"{SHOW}{action}/", fields)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == SHOW
    page = await client.get(SHOW)
    assert page.status_code == 200
    return page.text


async def test_favorite_repost_and_listen_later_change_what_the_api_says(
    client, services, show, browser
):
    crixus = await browser("crixus")
    token = await make_token(services, await user_id(services, "crixus"))
    page = (await crixus.get(SHOW)).text
    assert buttons(page)[-3:] == ["Favorite", "Repost", "Listen later"]
    assert f'action="http://testserver{SHOW}favorite/"' in page

    page = await press(crixus, "favorite")
    assert count(page, "favorite") == 1 and "Unfavorite" in buttons(page)
    page = await press(crixus, "repost")
    assert count(page, "repost") == 1 and "Un-repost" in buttons(page)
    page = await press(crixus, "listen-later")
    assert "Remove from listen later" in buttons(page)
    seen = await api_show(client, token)
    assert (seen["favorite_count"], seen["repost_count"]) == (1, 1)
    assert (seen["favorited"], seen["reposted"], seen["listen_later"]) == (True, True, True)
    # Pressing again (the page's "Unfavorite" form says method=delete) undoes each.
    for action in ("favorite", "repost", "listen-later"):
        page = await press(crixus, action, method="delete")
    assert count(page, "favorite") == 0 and count(page, "repost") == 0
    assert buttons(page)[-3:] == ["Favorite", "Repost", "Listen later"]
    seen = await api_show(client, token)
    assert (seen["favorited"], seen["reposted"], seen["listen_later"]) == (False, False, False)
    # A repeat keeps the one row, as the API's action does.
    await press(crixus, "favorite")
    page = await press(crixus, "favorite")
    assert count(page, "favorite") == 1


async def test_a_post_without_the_csrf_token_changes_nothing(client, show, browser):
    crixus = await browser("crixus")
    await crixus.get(SHOW)
    refused = await crixus.post(SHOW + "favorite/", data={})
    assert refused.status_code == 403
    forged = await crixus.post(SHOW + "favorite/", data={"csrf_token": "x" * 43})
    assert forged.status_code == 403
    foreign = await crixus.post(
        SHOW + "favorite/",
        data={"csrf_token": crixus.cookies[CSRF_COOKIE]},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert count((await crixus.get(SHOW)).text, "favorite") == 0


async def test_signed_out_visitors_are_sent_to_sign_in_and_back(client, show):
    page = (await client.get(SHOW)).text
    assert "<button" not in page.split("<main>")[1]  # no buttons: a link to sign in instead
    link = re.search(r'<a class="signin-to-act" href="([^"]+)"', page)
    assert link and html.unescape(link.group(1)) == "/signin/?next=" + quote(SHOW, safe="")
    for action in ("favorite", "repost", "listen-later"):
        response = await post_form(client, f"{SHOW}{action}/")
        assert response.status_code == 303
        assert response.headers["location"] == "/signin/?next=%2Fvarro%2Fsummer-mix%2F"
    response = await post_form(client, "/varro/follow/", {"next": SHOW})
    assert response.headers["location"] == "/signin/?next=%2Fvarro%2Fsummer-mix%2F"
    assert count((await client.get(SHOW)).text, "favorite") == 0


async def test_a_show_the_visitor_may_not_see_cannot_be_favorited(services, varro, browser):
    await make_show(services, varro, "Secret", visibility="draft")
    crixus = await browser("crixus")
    response = await post_form(crixus, "/varro/secret/favorite/")
    assert response.status_code == 404
    response = await post_form(crixus, "/varro/nothing/favorite/")
    assert response.status_code == 404


async def test_follow_the_owner_from_the_show_page(client, services, show, browser):
    crixus = await browser("crixus")
    token = await make_token(services, await user_id(services, "crixus"))
    page = (await crixus.get(SHOW)).text
    assert buttons(page)[0] == "Follow"
    assert f'<input type="hidden" name="next" value="{SHOW}">' in page
    response = await post_form(crixus, "/varro/follow/", {"next": SHOW})
    assert response.status_code == 303 and response.headers["location"] == SHOW
    page = (await crixus.get(SHOW)).text
    assert buttons(page)[0] == "Unfollow"
    seen = (await api_get(client, "/varro/", access_token=token)).json()
    assert seen["follower_count"] == 1 and seen["following"] is True
    response = await post_form(crixus, "/varro/follow/", {"next": SHOW, "method": "delete"})
    assert response.headers["location"] == SHOW
    seen = (await api_get(client, "/varro/", access_token=token)).json()
    assert seen["follower_count"] == 0 and seen["following"] is False


async def test_follow_goes_back_only_to_a_page_of_this_site(show, browser):
    crixus = await browser("crixus")
    response = await post_form(crixus, "/varro/follow/", {"next": "//evil.example/"})
    assert response.status_code == 303 and response.headers["location"] == "/varro/"


async def test_the_owner_has_no_follow_button_and_cannot_follow_themselves(show, new_client):
    owner = await new_client()
    assert (await sign_in(owner, "varro")).status_code == 303
    page = (await owner.get(SHOW)).text
    assert buttons(page)[-3:] == ["Favorite", "Repost", "Listen later"]
    assert "Follow" not in buttons(page)
    response = await post_form(owner, "/varro/follow/")
    assert response.status_code == 400 and "You cannot follow yourself." in response.text
