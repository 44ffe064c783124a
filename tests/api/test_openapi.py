"""The developer docs: ``/developers/`` lists every operation, and ``/developers/openapi.json``
is a valid OpenAPI 3.1 document that describes what the API really answers."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from mixcast.app import MixcastApp
from mixcast.services import Services
from mixcast.shows.playlists import add_to_playlist, create_playlist
from mixcast.shows.shows import Section
from tests.api.readonly import client_for, readonly_services
from tests.factories import T0, make_show, make_token, make_user

pytestmark = pytest.mark.anyio

# Values for the path parameters: what exists, and what does not.
EXISTING = {
    "user": "spartacus",
    "show": "party-time",
    "tag": "funk+city:london",
    "playlist": "favourites",
}
EXISTING_VARIANTS = [
    {"user": "SPARTACUS", "show": "talk", "tag": "funk", "playlist": "Favourites"},
    {"user": "spartacus", "show": "party-time", "tag": "city:london", "playlist": "favourites"},
]
MISSING = {"user": "nobody", "show": "no-such-show", "tag": "no-such-tag", "playlist": "none"}
# Values for the required query parameters (search's q and type).
REQUIRED_QUERY = {"q": "party", "type": "cloudcast"}
# An access token of crixus (a user other than spartacus, who can follow spartacus), made by
# seed(). Actions with it write, but each POST is followed by its DELETE (the document lists
# post before delete), so the module's data ends as it began.
TOKEN: dict[str, str] = {}


async def seed(services: Services) -> None:
    uid = await make_user(services, "spartacus", city="London", biog="Hi")
    await make_show(
        services,
        uid,
        "Party Time",
        tags=["Funk", "Soul"],
        description="A party.",
        sections=[
            Section(artist="A", song="B", start_time=0),
            Section(artist="C", song="D"),
            Section(chapter="Outro", start_time=600),
        ],
    )
    talk, _ = await make_show(services, uid, "Talk", sections=[Section(chapter="Intro")])
    async with services.db.transaction() as tx:
        playlist, _ = await create_playlist(tx, uid, "Favourites", T0)
        await add_to_playlist(tx, playlist, talk, T0)
    TOKEN["access_token"] = await make_token(services, await make_user(services, "crixus"))


@pytest.fixture(scope="module")
async def readonly(
    template_db: str, media_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Services]:
    """Every test here only reads: one seeded database for the module."""
    data_dir = tmp_path_factory.mktemp("openapi")
    async with readonly_services(template_db, media_dir, data_dir, seed) as services:
        yield services


@pytest.fixture(scope="module")
async def seeded(readonly: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(readonly) as client:
        yield client


async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/developers/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    doc: dict[str, Any] = response.json()
    return doc


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in methods
    ]


def fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def required(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, str]:
    """Values for the operation's required query parameters."""
    out = {}
    for ref in op["parameters"]:
        param = (
            doc["components"]["parameters"][ref["$ref"].rsplit("/", 1)[1]] if "$ref" in ref else ref
        )
        if param["in"] == "query" and param["required"]:
            out[param["name"]] = REQUIRED_QUERY[param["name"]]
    if {} not in op["security"]:  # a token is required
        out.update(TOKEN)
    return out


def validator(doc: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for one response schema, with ``#/components/...`` refs resolving against
    the document (the schema is put at the root beside the document's components)."""
    return Draft202012Validator({**schema, "components": doc["components"]})


def response_schema(op: dict[str, Any], status: int, content_type: str) -> dict[str, Any]:
    responses = op["responses"]
    assert str(status) in responses, f"status {status} is not documented"
    media = content_type.split(";")[0].strip()
    content = responses[str(status)].get("content", {})
    assert media in content, f"{media} is not documented for {status}"
    schema: dict[str, Any] = content[media]["schema"]
    return schema


def assert_valid(doc: dict[str, Any], op: dict[str, Any], response: httpx.Response) -> None:
    content_type = response.headers["content-type"]
    schema = response_schema(op, response.status_code, content_type)
    # embed-html answers text/html: its body is a string, not JSON.
    body = response.json() if content_type.startswith("application/json") else response.text
    errors = sorted(validator(doc, schema).iter_errors(body), key=str)
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]


# ------------------------------------------------------------------ the document


async def test_the_document_is_valid_openapi_3_1(seeded):
    doc = await openapi(seeded)
    assert doc["openapi"].startswith("3.1")
    validate_spec(doc)


async def test_the_document_is_served_to_browsers_anywhere(seeded):
    response = await seeded.get(
        "/developers/openapi.json", headers={"Origin": "https://editor.example"}
    )
    assert response.headers["access-control-allow-origin"] == "*"


async def test_the_server_is_the_api_base(seeded, readonly):
    doc = await openapi(seeded)
    assert doc["servers"] == [{"url": str(readonly.settings.api_url)}]
    assert doc["servers"] == [{"url": "http://testserver/api"}]


async def test_every_route_of_the_api_is_documented_and_nothing_else(seeded, readonly):
    doc = await openapi(seeded)
    table = MixcastApp(readonly.settings, readonly).api.table
    served = {
        (method, route.path) for route in table if route.documented for method in route.methods
    }
    documented = {(method, path) for method, path, _ in operations(doc)}
    assert documented == served
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids))


async def test_every_component_reference_resolves(seeded):
    doc = await openapi(seeded)
    text = str(doc)
    for name in set(re.findall(r"#/components/(\w+)/(\w+)", text)):
        kind, key = name
        assert key in doc["components"][kind], name


# ------------------------------------------------------------------ the developers page


async def test_the_developers_page_lists_every_operation(seeded):
    doc = await openapi(seeded)
    page = await seeded.get("/developers/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    rows = re.findall(
        r"<tr><td>(\w+)</td><td><code>(.*?)</code></td><td>(.*?)</td></tr>", page.text
    )
    listed = {
        (method, html.unescape(path)): html.unescape(summary) for method, path, summary in rows
    }
    documented = {(method, path): op["summary"] for method, path, op in operations(doc)}
    assert listed == documented
    assert "/developers/openapi.json" in page.text


# ------------------------------------------------------------------ responses match the schemas


async def test_every_operation_answers_200_as_documented(seeded):
    doc = await openapi(seeded)
    for method, path, op in operations(doc):
        if "uploads" in op["tags"]:  # need real bodies: tests/api/test_uploads.py validates them
            continue
        for values in [EXISTING, *EXISTING_VARIANTS]:
            for params in ({}, {"metadata": "1"}, {"metadata": "0"}, TOKEN):
                url = "/api" + fill(path, values)
                params = {**required(doc, op), **params}
                response = await seeded.request(method, url, params=params)
                assert response.status_code == 200, (url, params, response.text)
                assert_valid(doc, op, response)


async def test_every_operation_answers_404_as_documented(seeded):
    doc = await openapi(seeded)
    for method, path, op in operations(doc):
        if "{" not in path:
            continue  # nothing in the path to miss: /popular/, /search/ ...
        url = "/api" + fill(path, MISSING)
        response = await seeded.request(method, url, params=required(doc, op))
        assert response.status_code == 404, url
        assert_valid(doc, op, response)


async def test_every_operation_answers_400_as_documented(seeded):
    doc = await openapi(seeded)
    for method, path, op in operations(doc):
        url = "/api" + fill(path, EXISTING)
        for params in ({"metadata": "junk"}, {"callback": "alert(1)"}):
            params = {**required(doc, op), **params}
            response = await seeded.request(method, url, params=params)
            assert response.status_code == 400, (url, params)
            assert_valid(doc, op, response)


async def test_jsonp_is_a_documented_content_type(seeded):
    doc = await openapi(seeded)
    for method, path, op in operations(doc):
        if "uploads" in op["tags"]:  # need real bodies: tests/api/test_uploads.py
            continue
        response = await seeded.request(
            method, "/api" + fill(path, EXISTING), params={**required(doc, op), "callback": "cb"}
        )
        assert response.status_code == 200
        response_schema(op, 200, response.headers["content-type"])


async def test_the_schemas_are_strict_enough_to_catch_a_wrong_body(seeded):
    """A body missing a required key or with a string count must not validate."""
    doc = await openapi(seeded)
    op = doc["paths"]["/{user}/{show}/"]["get"]
    schema = response_schema(op, 200, "application/json")
    body = (await seeded.get("/api/spartacus/party-time/")).json()
    check = validator(doc, schema)
    assert check.is_valid(body)
    assert not check.is_valid({k: v for k, v in body.items() if k != "key"})
    assert not check.is_valid({**body, "play_count": "3"})
    assert not check.is_valid({**body, "created_time": "2020-09-13 12:26:40"})
    assert not check.is_valid({**body, "pictures": {**body["pictures"], "huge": "x"}})


# ------------------------------------------------------------------ documented parameters


async def test_every_documented_metadata_value_is_accepted(seeded):
    doc = await openapi(seeded)
    values = doc["components"]["parameters"]["metadata"]["schema"]["enum"]
    for value in values:
        response = await seeded.get("/api/spartacus/", params={"metadata": value})
        assert response.status_code == 200, value


async def test_the_documented_callback_schema_is_what_the_api_accepts(seeded):
    doc = await openapi(seeded)
    schema = doc["components"]["parameters"]["callback"]["schema"]
    callbacks = [
        "fn", "a.b.c", "$x", "_y1", "x" * 128, "x" * 129, "a<b", "alert(1)", "a..b", "1abc",
        "a b", "a;b", "ä", "a.", "",
    ]  # fmt: skip
    for callback in callbacks:
        documented = Draft202012Validator(schema).is_valid(callback)
        response = await seeded.get("/api/spartacus/", params={"callback": callback})
        assert (response.status_code == 200) is documented, callback
