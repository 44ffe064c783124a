"""HTML and script in every field a user writes (display name, biography, city, country, show
name, description, tags, tracklist, a host's name, an app's name and description, a sign-in
or sign-up attempt, an OAuth ``state``) are shown as text wherever they are rendered: pages,
Open Graph and Twitter tags, the widget (its JSON state block too), the embed code, oEmbed JSON
and XML.

Each check parses the page: no element carries an event handler, no script holds the payload,
and the payload *is* there as text or as an attribute's value, so no check passes because the
field was simply not shown."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

import httpx
import pytest

from mixcast.accounts.passwords import hash_password
from mixcast.db.database import Query
from mixcast.oauth.tokens import issue_token
from mixcast.services import Services
from mixcast.shows.host_invitations import accept_invitation, invite_host
from mixcast.slugs import slugify
from tests.api.uploading import post_upload
from tests.conftest import api_get
from tests.factories import T0, make_app, make_show, make_token, make_user
from tests.web.helpers import PASSWORD, post_form, sign_in, sign_up

pytestmark = pytest.mark.anyio

PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>&amp;"
SHOW = "/varro/hostile-mix/"
CITY_SLUG = slugify(PAYLOAD)
RAW_MARKERS = ("<script>alert", "<img src=x", "</script>\"'>")
_USER_ID = Query("SELECT id FROM users WHERE username = :username")


@dataclass
class Parsed:
    """A page as a browser's parser sees it: its elements, text and script bodies."""

    elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    scripts: list[tuple[dict[str, str], str]] = field(default_factory=list)

    def shown(self) -> int:
        """How many text runs and attribute values hold the payload, unescaped by parsing."""
        in_text = sum(PAYLOAD in t for t in self.texts)
        in_attributes = sum(PAYLOAD in v for _, attrs in self.elements for v in attrs.values())
        return in_text + in_attributes

    def attribute(self, tag: str, key: str, name: str) -> list[str]:
        """The ``name`` values of ``tag`` elements whose ``key`` attribute names them."""
        return [a.get("content", "") for t, a in self.elements if t == tag and a.get(key) == name]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Parsed()
        self._script: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.out.elements.append((tag, values))
        if tag == "script":
            self._script = values

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.out.scripts.append((self._script, data))
        else:
            self.out.texts.append(data)


def parse(page: str) -> Parsed:
    parser = _Parser()
    parser.feed(page)
    parser.close()
    return parser.out


def assert_safe(page: str, at_least: int = 1) -> Parsed:
    """``page`` shows the payload ``at_least`` times, as text, and never as markup."""
    for marker in RAW_MARKERS:
        assert marker not in page, f"unescaped {marker!r} in the page"
    parsed = parse(page)
    for tag, attrs in parsed.elements:
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"<{tag}> has {handlers}"
        assert not (tag == "img" and attrs.get("src") == "x"), "the payload's <img> is an element"
    for attrs, body in parsed.scripts:
        if attrs.get("type") == "application/json":  # data: it must be whole, not cut short
            json.loads(body)
        else:
            assert "alert(" not in body
    assert parsed.shown() >= at_least, "the payload is not on the page: the check is vacuous"
    return parsed


# ------------------------------------------------------------------ the hostile world


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
async def world(services: Services, client: httpx.AsyncClient, password_hash: str) -> Any:
    """varro (Pro), whose every profile field is the payload, owns the show at ``SHOW`` whose
    name, description, tag and tracklist are the payload (written through the API's edit),
    hosted by crassus, whose display name is the payload."""
    varro = await make_user(
        services, "varro", display_name=PAYLOAD, biog=PAYLOAD, city=PAYLOAD, country=PAYLOAD,
        is_pro=True, password_hash=password_hash,
    )  # fmt: skip
    crassus = await make_user(services, "crassus", display_name=PAYLOAD)
    await make_show(services, varro, "Hostile Mix", audio_length=600)
    async with services.db.transaction() as tx:
        await invite_host(tx, varro, "crassus", T0)
        await accept_invitation(tx, crassus, "varro", T0)
    token = await make_token(services, varro)
    fields = {
        "name": PAYLOAD,
        "description": PAYLOAD,
        "tags-0-tag": PAYLOAD,
        "sections-0-chapter": PAYLOAD,
        "sections-0-start_time": "0",
        "sections-1-artist": PAYLOAD,
        "sections-1-song": PAYLOAD,
        "sections-1-start_time": "60",
        "hosts-0-username": "crassus",
    }
    edited = await post_upload(client, token, fields, path="/upload" + SHOW + "edit/")
    assert edited.status_code == 200, edited.text
    show = (await api_get(client, SHOW)).json()
    assert show["name"] == PAYLOAD and show["description"] == PAYLOAD
    assert [t["name"] for t in show["tags"]] == [PAYLOAD]
    return {"varro": varro, "crassus": crassus, "token": token, "tag": show["tags"][0]["key"]}


# ------------------------------------------------------------------ pages


async def test_the_show_page_shows_every_field_as_text(client, world):
    page = await client.get(SHOW)
    assert page.status_code == 200
    parsed = assert_safe(page.text, at_least=8)
    assert parsed.attribute("meta", "property", "og:title") == [PAYLOAD]
    assert parsed.attribute("meta", "name", "twitter:title") == [PAYLOAD]
    assert parsed.attribute("meta", "property", "og:description") == [PAYLOAD]
    assert parsed.attribute("meta", "name", "twitter:description") == [PAYLOAD]
    assert parsed.attribute("meta", "name", "description") == [PAYLOAD]
    titles = [
        a["title"] for t, a in parsed.elements if t == "link" and "oembed" in a.get("type", "")
    ]
    assert titles == [PAYLOAD, PAYLOAD]
    for text in ("by", "With", "About", "Tracklist"):
        assert text in page.text  # the owner, host, description and tracklist were rendered


async def test_the_signed_in_header_shows_the_display_name_as_text(client, world):
    assert (await sign_in(client, "varro")).status_code == 303
    page = await client.get(SHOW)
    assert page.status_code == 200
    parsed = assert_safe(page.text, at_least=9)
    assert any(PAYLOAD in t for t in parsed.texts if t)  # "Signed in as …" among them
    assert 'id="signed-in-as"' in page.text


async def test_profile_pages_show_every_field_as_text(client, world):
    page = await client.get("/varro/")
    assert page.status_code == 200
    parsed = assert_safe(page.text, at_least=5)
    assert parsed.attribute("meta", "property", "og:title") == [PAYLOAD]
    assert parsed.attribute("meta", "property", "og:description") == [PAYLOAD]
    host = await client.get("/crassus/")  # the hosted show is listed on the host's page
    assert host.status_code == 200
    assert_safe(host.text, at_least=2)


async def test_list_pages_show_names_and_tags_as_text(client, world):
    # Newest first: this show is too old for the ranked lists, which show the same cards.
    city = f"/genres/city:{quote(CITY_SLUG)}/"
    for path in ("/new/", world["tag"], city, world["tag"][:-1] + f"+city:{quote(CITY_SLUG)}/"):
        page = await client.get(path, params={} if path == "/new/" else {"order": "new"})
        assert page.status_code == 200, path
        assert 'class="show-card"' in page.text, path
        assert_safe(page.text, at_least=3)  # the show's name, its owner, its tag


async def test_the_tag_and_city_titles_are_text(client, world):
    page = await client.get(f"/genres/city:{quote(CITY_SLUG)}/")
    parsed = assert_safe(page.text)
    assert f"Shows in {PAYLOAD}" in "".join(parsed.texts)


async def test_the_settings_pages_show_their_values_as_text(client, world):
    assert (await sign_in(client, "varro")).status_code == 303
    profile = await client.get("/settings/profile/")
    assert profile.status_code == 200
    parsed = assert_safe(profile.text, at_least=4)
    values = [a.get("value") for t, a in parsed.elements if t == "input" and a.get("value")]
    assert values.count(PAYLOAD) >= 3  # display name, city, country (the biog is a textarea)
    hosts = await client.get("/settings/hosts/")
    assert hosts.status_code == 200
    assert_safe(hosts.text, at_least=2)  # the header and crassus in the table


async def test_a_refused_profile_edit_shows_what_was_sent_as_text(client, world):
    assert (await sign_in(client, "varro")).status_code == 303
    fields = {"display_name": "", "biog": PAYLOAD * 20, "city": PAYLOAD, "country": PAYLOAD}
    refused = await post_form(client, "/settings/profile/", fields)
    assert refused.status_code == 400
    assert_safe(refused.text, at_least=3)


async def test_sign_in_and_sign_up_pages_show_what_was_typed_as_text(client, world):
    refused = await sign_in(client, PAYLOAD)
    assert refused.status_code in (400, 401)
    assert_safe(refused.text)
    fields = {"username": PAYLOAD, "email": "x@example.com", "password": "correct horse battery"}
    signup = await post_form(client, "/signup/", fields)
    assert signup.status_code == 400
    assert_safe(signup.text)


async def test_the_consent_page_shows_the_app_as_text(client, services, world):
    app = (await make_app(services, world["crassus"], PAYLOAD)).app
    await sign_up(client, "spartacus")
    params = {
        "client_id": app.client_id,
        "redirect_uri": "https://app.example/callback",
        "response_type": "code",
        "state": PAYLOAD,
    }
    page = await client.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    parsed = assert_safe(page.text, at_least=4)  # the title, twice in the text, the state
    states = [a["value"] for t, a in parsed.elements if t == "input" and a.get("name") == "state"]
    assert states == [PAYLOAD]


async def test_developer_and_connected_app_pages_show_app_names_as_text(client, services):
    await sign_up(client, "spartacus")
    fields = {"name": PAYLOAD, "description": PAYLOAD, "redirect_uris": "https://app.example/cb"}
    created = await post_form(client, "/developers/apps/", fields)
    assert created.status_code == 200, created.text
    assert_safe(created.text)
    listing = await client.get("/developers/apps/")
    assert listing.status_code == 200
    assert_safe(listing.text)
    spartacus = await services.db.fetch_value(_USER_ID, {"username": "spartacus"})
    other = await make_user(services, "crixus")
    app = (await make_app(services, other, PAYLOAD)).app
    async with services.db.transaction() as tx:
        await issue_token(tx, app.id, spartacus, T0)  # spartacus allowed crixus's app
    connected = await client.get("/settings/connected-apps/")
    assert connected.status_code == 200
    assert_safe(connected.text)


# ------------------------------------------------------------------ the widget and embeds


async def test_the_widget_shows_the_show_as_text_and_its_state_as_data(client, world):
    page = await client.get("/widget/iframe/", params={"feed": SHOW})
    assert page.status_code == 200
    parsed = assert_safe(page.text, at_least=5)  # title, name, owner, two sections
    blocks = [body for attrs, body in parsed.scripts if attrs.get("id") == "widget-state"]
    assert len(blocks) == 1
    assert "</" not in blocks[0]  # tojson escapes <, > and & inside the script element
    state = json.loads(blocks[0])
    assert state["show"]["name"] == PAYLOAD
    assert state["show"]["owner"]["name"] == PAYLOAD
    data = await client.get("/widget/iframe/show.json", params={"feed": SHOW})
    assert data.headers["content-type"] == "application/json"
    assert data.headers["x-content-type-options"] == "nosniff"
    assert data.json()["name"] == PAYLOAD


async def test_a_hostile_feed_is_not_reflected_into_the_widget(client, world):
    page = await client.get("/widget/iframe/", params={"feed": PAYLOAD, "color": PAYLOAD})
    assert page.status_code == 404
    for marker in RAW_MARKERS:
        assert marker not in page.text
    assert not any(n.startswith("on") for _, a in parse(page.text).elements for n in a)


async def test_embed_code_carries_only_the_escaped_feed(client, services, world):
    """The embed code names the show by its key: a Unicode slug is percent-encoded in the
    ``feed`` parameter, and the markup is one iframe with its attributes quoted."""
    await make_show(services, world["varro"], 'Ünïcödé "quoted" <b>mix</b>')
    key = "/varro/" + quote("ünïcödé-quoted-b-mix-b") + "/"  # a key, as the API writes it
    for show in (SHOW, key):
        html_code = await api_get(client, show + "embed-html/")
        assert html_code.status_code == 200, html_code.text
        as_json = await api_get(client, show + "embed-json/")
        assert as_json.json()["html"] == html_code.text
        elements = parse(html_code.text).elements
        assert [tag for tag, _ in elements] == ["iframe"]
        src = elements[0][1]["src"]
        assert src.endswith("feed=" + quote(show, safe=""))
        widget = await client.get(src.removeprefix("http://testserver"))
        assert widget.status_code == 200  # the feed names the show
        assert PAYLOAD not in html_code.text and "<b>" not in html_code.text


async def test_oembed_json_carries_the_fields_as_data(client, world):
    for url, title in ((SHOW, PAYLOAD), ("/varro/", PAYLOAD)):
        response = await client.get("/oembed", params={"url": "http://testserver" + url})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-content-type-options"] == "nosniff"
        body = response.json()
        assert body["title"] == title
        assert body["author_name"] == PAYLOAD
        assert body["description"] == PAYLOAD
        assert [tag for tag, _ in parse(body["html"]).elements] == ["iframe"]
        assert PAYLOAD not in body["html"]


async def test_oembed_xml_escapes_every_field(client, world):
    for url in (SHOW, "/varro/"):
        params = {"url": "http://testserver" + url, "format": "xml"}
        response = await client.get("/oembed", params=params)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        for marker in RAW_MARKERS:
            assert marker not in response.text
        root = ElementTree.fromstring(response.content)
        assert root.tag == "oembed"
        fields = {child.tag: child.text or "" for child in root}
        assert fields["title"] == PAYLOAD
        assert fields["author_name"] == PAYLOAD
        assert fields["description"] == PAYLOAD
        assert [tag for tag, _ in parse(fields["html"]).elements] == ["iframe"]
        assert all(len(child) == 0 for child in root)  # no element smuggled in


# ------------------------------------------------------------------ the API itself


async def test_the_api_returns_the_fields_as_json_strings(client, world):
    """The API is JSON, not HTML: the text comes back as it was written, in JSON strings,
    served as ``application/json`` so no browser renders it."""
    user = await api_get(client, "/varro/")
    assert user.headers["content-type"] == "application/json; charset=utf-8"
    body = user.json()
    assert [body[k] for k in ("name", "biog", "city", "country")] == [PAYLOAD] * 4
    show = (await api_get(client, SHOW)).json()
    assert show["sections"][0]["chapter"] == PAYLOAD
    assert show["sections"][1]["track"]["artist"]["name"] == PAYLOAD
    assert show["sections"][1]["track"]["name"] == PAYLOAD
    assert [h["name"] for h in show["hosts"]] == [PAYLOAD]
